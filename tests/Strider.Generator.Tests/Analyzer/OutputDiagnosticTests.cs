using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>
/// [Output] names (STR0022, on the offending name) and layers that reach no output (STR0023, on the layer), with the
/// messages that name the network and the fix.
/// </summary>
public class OutputDiagnosticTests
{
    private const string Usings = "using Strider;\n";

    private const string Heads = """
        [Network, Input(3, 8, 8)]
        [Conv(4, 3, Name = "trunk"), Relu(Name = "act")]
        [Conv(2, 1, Name = "cls")]
        [Conv(4, 1, From = "act", Name = "box_head")]
        """;

    private static string Net(string output) => Usings + Heads + "\n" + output + "\npublic partial class Net;\n";

    /// <summary>The messages of the STR diagnostics the generator and the analyzer report, in source order.</summary>
    private static List<string> Messages(string source, string id)
    {
        var (_, generator, compiler, analyzer) = GeneratorHarness.Build(source);
        Assert.Empty(compiler.Where(d => d.Severity == DiagnosticSeverity.Error));
        return generator.Concat(analyzer).Where(d => d.Id == id).OrderBy(d => d.Location.SourceSpan.Start).Select(d => d.GetMessage()).ToList();
    }

    [Fact]
    public Task STR0022_an_unknown_name() => AnalyzerVerifier.VerifyAsync(Net("[Output(\"cls\", {|STR0022:\"box\"|})]"));

    [Fact]
    public void STR0022_an_unknown_name_suggests_the_nearest_layers()
    {
        var message = Assert.Single(Messages(Net("[Output(\"cls\", \"boxhead\")]"), "STR0022"));
        Assert.Equal("Network 'Net': [Output] names 'boxhead', which no layer has; did you mean 'box_head'?", message);
    }

    [Fact]
    public void STR0022_a_name_far_from_every_layer_lists_the_layers()
    {
        var message = Assert.Single(Messages(Net("[Output(\"detections\")]"), "STR0022"));
        Assert.Equal("Network 'Net': [Output] names 'detections', which no layer has; the layers are 'trunk', 'act', 'cls', 'box_head'", message);
    }

    [Fact]
    public Task STR0022_a_name_twice() => AnalyzerVerifier.VerifyAsync(Net("[Output(\"cls\", \"box_head\", {|STR0022:\"cls\"|})]"));

    [Fact]
    public Task STR0022_no_names() => AnalyzerVerifier.VerifyAsync(Net("[{|STR0022:Output|}]"));

    [Fact]
    public Task STR0022_empty_parentheses() => AnalyzerVerifier.VerifyAsync(Net("[{|STR0022:Output()|}]"));

    [Fact]
    public Task STR0022_a_null_name() => AnalyzerVerifier.VerifyAsync(Net("[Output(\"cls\", {|STR0022:null|})]"));

    [Fact]
    public Task STR0022_an_empty_name() => AnalyzerVerifier.VerifyAsync(Net("[Output({|STR0022:\"\"|})]"));

    [Fact]
    public void STR0022_an_input_is_not_an_output_and_the_message_says_why()
    {
        string source = Net("[Output(\"input\", \"cls\")]");
        var message = Assert.Single(Messages(source, "STR0022"));
        Assert.Contains("names the input 'input'; an output must be a layer (the caller holds the input already", message, StringComparison.Ordinal);
        Assert.Contains("name a layer such as 'box_head'", message, StringComparison.Ordinal);
    }

    [Fact]
    public Task STR0022_an_input_on_its_name() => AnalyzerVerifier.VerifyAsync(Net("[Output({|STR0022:\"input\"|}, \"cls\")]"));

    [Fact]
    public void STR0022_two_names_with_the_same_property()
    {
        string source = Usings + Heads.Replace("Relu(Name = \"act\")", "Relu(Name = \"boxHead\")").Replace("From = \"act\"", "From = \"boxHead\"")
            + "\n[Output(\"box_head\", \"boxHead\")]\npublic partial class Net;\n";
        var message = Assert.Single(Messages(source, "STR0022"));
        Assert.Equal("Network 'Net': the outputs 'box_head' and 'boxHead' would both be the property 'BoxHead' of the generated record NetOutputs (names become PascalCase); rename one of the layers", message);
    }

    [Fact]
    public Task STR0022_the_second_name_of_a_property_pair() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8)]
        [Conv(4, 3, Name = "cls"), Conv(2, 1, Name = "Cls")]
        [Output("cls", {|STR0022:"Cls"|})]
        public partial class Net;
        """);

    [Fact]
    public void STR0022_a_property_every_record_has()
    {
        string source = Usings + "[Network, Input(3, 8, 8), Conv(4, 3, Name = \"to_string\"), Output(\"to_string\")]\npublic partial class Net;\n";
        var message = Assert.Single(Messages(source, "STR0022"));
        Assert.Equal("Network 'Net': the output 'to_string' would be the property 'ToString' of the generated record NetOutputs, which every record has already; rename the layer (Name = \"...\")", message);
    }

    [Fact]
    public Task STR0022_the_records_own_name() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8), Conv(4, 3, Name = "net_outputs"), Output({|STR0022:"net_outputs"|})]
        public partial class Net;
        """);

    [Fact]
    public Task Names_in_an_array_are_read_too() => AnalyzerVerifier.VerifyAsync(Usings + Heads + """

        [Output(new[] { "cls", "box_head" })]
        public partial class Net;
        """);

    [Fact]
    public Task STR0023_a_layer_that_a_later_From_skips() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), {|STR0023:Conv(4, 3, Name = "side")|}, Conv(4, 1, From = "a")]
        public partial class Net;
        """);

    [Fact]
    public void STR0023_names_the_layer_and_the_network_and_the_fix()
    {
        string source = Usings + "[Network, Input(1, 8, 8), Conv(4, 3, Name = \"a\"), Conv(4, 3), Conv(4, 1, From = \"a\")]\npublic partial class Net;\n";
        // The second Conv: unnamed layers are numbered among all layers of their kind, named or not.
        Assert.Equal(["'conv2' reaches no output of Net: it is computed and stored for nothing; remove it, or add it to [Output]"], Messages(source, "STR0023"));
    }

    [Fact]
    public Task STR0023_on_every_layer_of_a_dead_chain() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), {|STR0023:Conv(4, 3)|}, {|STR0023:Relu|}, Conv(4, 1, From = "a")]
        public partial class Net;
        """);

    [Fact]
    public Task STR0023_a_head_Output_leaves_out() => AnalyzerVerifier.VerifyAsync(Net("[Output(\"cls\")]")
        .Replace("[Conv(4, 1, From = \"act\", Name = \"box_head\")]", "[{|STR0023:Conv(4, 1, From = \"act\", Name = \"box_head\")|}]"));

    [Fact]
    public Task No_STR0023_when_every_head_is_an_output() => AnalyzerVerifier.VerifyAsync(Net("[Output(\"cls\", \"box_head\")]"));

    [Fact]
    public Task No_STR0023_for_a_pool_whose_switches_an_unpool_reads() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(2, 3, Pad = 1, Name = "c"), MaxPool(2, KeepSwitches = true, Name = "p")]
        [AvgPool(2, From = "c"), MaxUnpool(Switches = "p")]
        public partial class Net;
        """);

    [Fact]
    public Task No_STR0023_for_a_conv_whose_weights_a_deconv_shares() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(4, 8, 8)]
        [Conv(4, 3, Name = "enc"), Deconv(4, 3, TiedTo = "enc", From = "input")]
        public partial class Net;
        """);

    [Fact]
    public Task No_STR0023_for_a_branch_a_merge_reads() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Pad = 1, Name = "a"), Conv(4, 3, Pad = 1, From = "input", Name = "b"), Add("a", "b")]
        public partial class Net;
        """);
}
