using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>Messages that used to say too little or the wrong thing, each asserted word for word.</summary>
public class MessageTests
{
    private const string Usings = "using Strider;\n";

    private static Diagnostic Only(string source, string id)
    {
        var diagnostics = GeneratorHarness.Analyze(GeneratorHarness.Compile(Usings + source));
        // One diagnostic per axis: the first is on H.
        return diagnostics.Where(d => d.Id == id).OrderBy(d => d.Location.SourceSpan.Start).First();
    }

    [Fact]
    public void A_broadcast_add_is_accepted_and_a_partial_one_names_both_shapes()
    {
        // C x 1 x 1 against C x H x W broadcasts (the squeeze-and-excitation gate); it once read "no size; the nearest are none".
        var diagnostics = GeneratorHarness.Analyze(GeneratorHarness.Compile(Usings + """
            [Network, Input(8, 4, 4)]
            [AvgPool(4, Name = "pooled"), Add("pooled", "input")]
            public partial class Broadcast;
            """));
        Assert.DoesNotContain(diagnostics, d => d.Id.StartsWith("STR", StringComparison.Ordinal));
        var error = Only("""
            [Network, Input(8, 4, 4)]
            [AvgPool(4, 1, Name = "pooled"), Add("pooled", "input")]
            public partial class Broadcast;
            """, "STR0002");
        Assert.Equal("The input size 4 on axis H does not fit: the merge 'add1' gets 1 from 'pooled' and 4 from 'input'. "
            + "No input size makes them agree: 'pooled' is 8x1x4 and 'input' is 8x4x4, and [Add] broadcasts only an operand whose spatial axes are all 1 (C x 1 x 1), not one axis alone; make both paths give the same size on axis H.",
            error.GetMessage());
    }

    [Fact]
    public void A_partial_broadcast_over_a_free_axis_says_what_add_broadcasts()
    {
        var error = Only("""
            [Network, Input(8, 4, Dim.Any)]
            [AvgPool(4, 1, Name = "pooled"), Add("pooled", "input")]
            public partial class Broadcast;
            """, "STR0002");
        Assert.Equal("The input size 4 on axis H does not fit: the merge 'add1' gets 1 from 'pooled' and 4 from 'input'. "
            + "No input size makes them agree: 'pooled' is 8x1xAny and 'input' is 8x4xAny, and [Add] broadcasts only an operand whose spatial axes are all 1 (C x 1 x 1), not one axis alone; make both paths give the same size on axis H.",
            error.GetMessage());
    }

    [Fact]
    public void A_forgotten_stride_on_a_projection_names_both_paths_and_the_layer_to_fix()
    {
        var error = Only("""
            [Network, Input(8, 8, 8)]
            [Conv(16, 3, Stride = 2, Padding = Padding.Same, Name = "main"), Relu(Name = "act")]
            [Conv(16, 1, Name = "proj", From = "input")]
            [Add("act", "proj")]
            public partial class Shortcut;
            """, "STR0002");
        Assert.Equal("The input size 8 on axis H does not fit: the merge 'add1' gets 4 from 'act' and 8 from 'proj'. "
            + "The path to 'act' has 2 times the stride of the path to 'proj' on axis H ('main' has Stride = 2; valid input sizes: only 1): give 'proj' Stride = 2.",
            error.GetMessage());
    }

    [Fact]
    public void STR0005_lists_the_known_names_without_the_failing_layer_itself()
    {
        var error = Only("""
            [Network, Input(1, 12, 12)]
            [Conv(8, 3, Name = "c1"), Relu(Name = "r1", From = "nothere")]
            public partial class Net;
            """, "STR0005");
        Assert.Equal("Layer 'r1': From names 'nothere', which no earlier layer or input has. Known names: 'input', 'c1'.", error.GetMessage());
    }
}
