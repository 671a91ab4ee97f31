using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>Layer names are PyTorch module paths (<c>layer1.0.conv1</c>); anything else is STR0008 on the Name argument.</summary>
public class LayerNameTests
{
    private const string Usings = "using Strider;\n";

    [Fact]
    public Task Module_paths_name_layers_and_are_referenced_by_From_and_merges() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8)]
        [Conv(4, 3, Pad = 1, Name = "features.0"), BatchNorm(Name = "features.1"), Relu(Name = "features.2")]
        [Conv(4, 3, Pad = 1, Name = "layer1.0.conv1"), Conv(4, 1, From = "features.2", Name = "layer1.0.downsample.0")]
        [Add("layer1.0.conv1", "layer1.0.downsample.0", Name = "layer1.0"), Concat("layer1.0", "features.2", Name = "_x.10.y_1")]
        [Relu(Name = "0"), Relu(Name = "1.2")]
        public partial class Net;
        """);

    [Fact]
    public Task Bad_names_are_STR0008_on_the_Name_argument() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8)]
        [Relu({|STR0008:Name = ""|}), Relu({|STR0008:Name = ".conv1"|}), Relu({|STR0008:Name = "conv1."|})]
        [Relu({|STR0008:Name = "layer1..conv1"|}), Relu({|STR0008:Name = "layer1.0-a"|}), Relu({|STR0008:Name = "features.3x3"|})]
        [Relu({|STR0008:Name = "features.01"|}), Relu({|STR0008:Name = "a. b"|})]
        public partial class Net;
        """);

    [Theory]
    [InlineData("", "the name is empty; segments are identifiers or whole numbers separated by single dots, as in 'layer1.0.conv1'")]
    [InlineData(".conv1", "the name '.conv1' starts with a '.'; segments are identifiers or whole numbers separated by single dots, as in 'layer1.0.conv1'")]
    [InlineData("conv1.", "the name 'conv1.' ends with a '.'; segments are identifiers or whole numbers separated by single dots, as in 'layer1.0.conv1'")]
    [InlineData("layer1..conv1", "the name 'layer1..conv1' has an empty segment ('..'); segments are identifiers or whole numbers separated by single dots, as in 'layer1.0.conv1'")]
    [InlineData("layer1.0-a", "the segment '0-a' of 'layer1.0-a' holds '-', which is not a letter, digit or '_'; segments are identifiers or whole numbers separated by single dots, as in 'layer1.0.conv1'")]
    [InlineData("features.3x3", "the segment '3x3' of 'features.3x3' starts with a digit but is not a whole number; start it with a letter or '_', or write a number such as '0'")]
    [InlineData("features.01", "the segment '01' of 'features.01' has a leading zero; PyTorch numbers children 0, 1, 2..., so write '1'")]
    [InlineData("features.00", "the segment '00' of 'features.00' has a leading zero; PyTorch numbers children 0, 1, 2..., so write '0'")]
    public void Each_bad_name_says_what_is_wrong(string name, string problem)
    {
        var diagnostics = GeneratorHarness.Analyze(GeneratorHarness.Compile(Usings + $$"""
            [Network, Input(3, 8, 8), Relu(Name = "{{name}}")]
            public partial class Net;
            """));
        var error = Assert.Single(diagnostics, d => d.Id == "STR0008");
        Assert.Equal($"Layer '{name}': {problem}", error.GetMessage());
    }

    [Fact]
    public Task The_input_name_stays_one_identifier() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8, {|STR0014:Name = "x.0"|}), Relu]
        public partial class Net;
        """);

    [Fact]
    public Task A_dotted_name_used_twice_is_STR0015() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8)]
        [Conv(4, 3, Name = "layer1.0.conv1"), Relu({|STR0015:Name = "layer1.0.conv1"|})]
        public partial class Net;
        """);

    [Fact]
    public void Parameters_and_buffers_are_named_as_in_a_torchvision_state_dict()
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(Usings + """
            namespace Samples;
            [Network, Input(3, 8, 8)]
            [Conv(4, 3, Pad = 1, Name = "layer1.0.conv1"), BatchNorm(Name = "layer1.0.bn1"), Relu(Name = "layer1.0.relu")]
            public partial class Net;
            """));
        GeneratorHarness.AssertClean(output);
        string code = run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples.Net", StringComparison.Ordinal)).SourceText.ToString();
        foreach (var name in new[] { "layer1.0.conv1.weight", "layer1.0.conv1.bias", "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.0.bn1.running_mean", "layer1.0.bn1.running_var" })
            Assert.Contains("\"" + name + "\"", code);
    }
}
