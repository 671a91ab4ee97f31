using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>Conv and Deconv Groups: located on the argument, naming both channel counts and the group counts that would divide them.</summary>
public class GroupsDiagnosticTests
{
    private const string Usings = "using Strider;\n";

    [Fact]
    public Task STR0008_groups_that_do_not_divide_the_input_channels() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(6, 8, 8)]
        [Conv(8, 3, {|STR0008:Groups = 4|})]
        public partial class Net;
        """);

    [Fact]
    public Task STR0008_groups_below_one_on_a_deconv() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(4, 8, 8)]
        [Deconv(4, 3, {|STR0008:Groups = 0|})]
        public partial class Net;
        """);

    [Fact]
    public Task STR0004_tied_deconv_with_other_groups_than_its_conv() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(4, 8, 8)]
        [Conv(6, 3, Groups = 2, Name = "c1"), Relu]
        [Deconv(4, 3, {|STR0004:TiedTo = "c1"|})]
        public partial class Net;
        """);

    [Fact]
    public Task Depthwise_grouped_and_tied_grouped_layers_are_clean() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(4, 8, 8)]
        [Conv(4, 3, Groups = 4, Pad = 1), Conv(6, 3, Groups = 2, Name = "c1"), Deconv(8, 3, Stride = 2, Groups = 2)]
        [Conv(6, 3, Groups = 2, Name = "c2"), Deconv(8, 3, TiedTo = "c2", Groups = 2)]
        public partial class Net;
        """);

    private static string Message(string declaration, string id)
    {
        var (_, generator, _, analyzer) = GeneratorHarness.Build(Usings + declaration);
        return generator.Concat(analyzer).First(d => d.Id == id).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Messages_name_both_counts_and_the_nearest_valid_groups()
    {
        Assert.Equal("Layer 'conv1': Groups = 4 must divide both its 6 input channels and its 8 filters; the nearest group counts that do are 2",
            Message("[Network, Input(6, 8, 8), Conv(8, 3, Groups = 4)] public partial class Net;", "STR0008"));
        Assert.Equal("Layer 'conv1': Groups = 3 must divide both its 4 input channels and its 8 filters; the nearest group counts that do are 2 or 4",
            Message("[Network, Input(4, 8, 8), Conv(8, 3, Groups = 3)] public partial class Net;", "STR0008"));
        Assert.Equal("Layer 'deconv1': Groups is -1; it must be at least 1 (1 is an ordinary Deconv, the input channels (4) a depthwise one)",
            Message("[Network, Input(4, 8, 8), Deconv(4, 3, Groups = -1)] public partial class Net;", "STR0008"));
        Assert.Equal("Deconv 'deconv1' cannot tie its weights to 'c1': it has 1 group(s) but 'c1' has 2. A tied Deconv must undo the Conv: Deconv(4, 3, 3, Groups = 2) reading 6 channels",
            Message("[Network, Input(4, 8, 8), Conv(6, 3, Groups = 2, Name = \"c1\"), Deconv(4, 3, TiedTo = \"c1\")] public partial class Net;", "STR0004"));
    }
}
