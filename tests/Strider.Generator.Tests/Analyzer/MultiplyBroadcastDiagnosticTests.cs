using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>Multiply and the broadcasting merges: what they accept, and errors naming every operand's shape.</summary>
public class MultiplyBroadcastDiagnosticTests
{
    private const string Usings = "using Strider;\n";

    [Fact]
    public Task Gates_broadcast_in_either_position_and_equal_shapes_multiply() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(8, 6, 6)]
        [Conv(8, 3, Pad = 1, Name = "f"), AvgPool(6, Name = "g"), Multiply("f", "g", Name = "m"), Add("g", "f", Name = "a"), Multiply("m", "a", Name = "sq")]
        public partial class Net;
        """);

    [Fact]
    public Task STR0002_multiply_of_two_full_sizes_that_differ_once_per_axis() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(8, 4, 4)]
        [Conv(8, 1, Name = "c"), MaxPool(2, Name = "p"), {|STR0002:{|STR0002:Multiply("p", "c")|}|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0003_multiply_of_unequal_channels() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(8, 4, 4)]
        [Conv(4, 1, Name = "c"), {|STR0003:Multiply("input", "c")|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0008_multiply_of_three_inputs() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(8, 4, 4)]
        [Relu(Name = "r"), {|STR0008:Multiply("input", "r", "r")|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0019_a_broadcast_gate_has_no_dense_variant_but_a_grouped_conv_has() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network(Dense = true), Input(8, 12, 12)]
        [Conv(8, 3, Groups = 8, Name = "f"), AvgPool(10, Name = "g"), {|STR0019:Multiply("f", "g")|}]
        public partial class Net;
        """);

    private static string Message(string declaration, string id)
    {
        var (_, generator, _, analyzer) = GeneratorHarness.Build(Usings + declaration);
        return generator.Concat(analyzer).First(d => d.Id == id).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Mismatches_name_both_shapes_and_the_broadcast_rule()
    {
        Assert.Equal("Layer 'add1': Add broadcasts one operand whose spatial axes are all 1 against exactly one other, but 'input' is 8x4x4, 'g' is 8x1x1, 'r' is 8x4x4. Merge the full-size operands first, then apply the gate",
            Message("[Network, Input(8, 4, 4), AvgPool(4, Name = \"g\"), Relu(From = \"input\", Name = \"r\"), Add(\"input\", \"g\", \"r\")] public partial class Net;", "STR0003"));
        Assert.Equal("Layer 'multiply1': Multiply needs equal channel counts, but 'input' has 8, 'c' has 4. Make the branches produce the same number of filters, or use a 1x1 Conv to match them",
            Message("[Network, Input(8, 4, 4), Conv(4, 1, Name = \"c\"), Multiply(\"input\", \"c\")] public partial class Net;", "STR0003"));
    }
}
