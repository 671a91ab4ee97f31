using Strider.CodeFixes;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.CodeFixes;

/// <summary>The input-size fixes (STR0001, STR0002): each neighbour, every axis at once, and an inserted Pad layer.</summary>
public class InputSizeFixTests
{
    private const string Usings = "using Strider;\n";
    private const string BadUnet = "{|STR0001:{|STR0002:1570|}|}";

    [Fact]
    public Task Unet_at_1570_changes_to_1565_one_axis_per_fix_or_all_at_once() =>
        CodeFixVerifier.VerifyAsync(Networks.Ddae(BadUnet), Networks.Ddae("1565"), InputSizeCodeFixProvider.BelowKey, iterations: 2);

    [Fact]
    public Task Unet_at_1570_changes_to_1581() =>
        CodeFixVerifier.VerifyAsync(Networks.Ddae(BadUnet), Networks.Ddae("1581"), InputSizeCodeFixProvider.AboveKey, iterations: 2);

    [Fact]
    public Task Unet_at_1570_changes_both_axes_in_one_fix() =>
        CodeFixVerifier.VerifyAsync(Networks.Ddae(BadUnet), Networks.Ddae("1565"), InputSizeCodeFixProvider.AllBelowKey);

    [Fact]
    public Task Unet_pad_takes_the_input_name_so_the_skip_connection_gets_the_padded_size() =>
        CodeFixVerifier.VerifyAsync(Networks.Ddae(BadUnet),
            Networks.Ddae("1570").Replace("[Input(1, 1570, 1570, Name = \"noisy\")]", "[Input(1, 1570, 1570), Pad(0, 0, 11, 11, Name = \"noisy\")]"),
            InputSizeCodeFixProvider.PadKey);

    [Fact]
    public async Task Unet_offers_both_neighbours_both_axes_and_the_pad()
    {
        var titles = (await CodeFixVerifier.OfferedAsync(Networks.Ddae("1570"))).Select(a => a.Title);
        Assert.Equal(new[]
        {
            "Change input size to 1565", "Change input size to 1581", "Change input to 1x1565x1565", "Change input to 1x1581x1581",
            "Insert a Pad layer (1x1581x1581)",
        }, titles);
    }

    [Fact]
    public async Task Padded_unet_compiles_clean_through_the_generator()
    {
        string padded = await CodeFixVerifier.ApplyAsync(Networks.Ddae("1570"), InputSizeCodeFixProvider.PadKey);
        Assert.Contains("Pad(0, 0, 11, 11, Name = \"noisy\")", padded);
        var (output, _) = GeneratorHarness.Generate(GeneratorHarness.Compile(padded));
        GeneratorHarness.AssertClean(output);
        Assert.Empty(GeneratorHarness.Analyze(output).Where(d => d.Id.StartsWith("STR", StringComparison.Ordinal) && d.Id != "STR0017"));
    }

    [Fact]
    public Task One_d_loss_of_pixels_pads_after_the_input_without_names() => CodeFixVerifier.VerifyAsync(Usings + """
        [Network, Input(1, {|STR0001:30|}), Conv(4, 5, Stride = 2)]
        public partial class Net;
        """, Usings + """
        [Network, Input(1, 30), Pad(0, 1), Conv(4, 5, Stride = 2)]
        public partial class Net;
        """, InputSizeCodeFixProvider.PadKey);

    [Fact]
    public Task One_d_loss_of_pixels_declares_the_lower_size() => CodeFixVerifier.VerifyAsync(Usings + """
        [Network, Input(1, {|STR0001:30|}), Conv(4, 5, Stride = 2)]
        public partial class Net;
        """, Usings + """
        [Network, Input(1, 29), Conv(4, 5, Stride = 2)]
        public partial class Net;
        """, InputSizeCodeFixProvider.BelowKey);

    [Fact]
    public Task Default_input_name_read_by_a_merge_moves_to_the_pad() => CodeFixVerifier.VerifyAsync(Usings + """
        [Network, Input(1, {|STR0001:{|STR0002:10|}|})]
        [Conv(1, 3, Stride = 2), Deconv(1, 3, Stride = 2, Name = "d")]
        [Add("input", "d")]
        public partial class Net;
        """, Usings + """
        [Network, Input(1, 10, Name = "unpadded"), Pad(0, 1, Name = "input")]
        [Conv(1, 3, Stride = 2), Deconv(1, 3, Stride = 2, Name = "d")]
        [Add("input", "d")]
        public partial class Net;
        """, InputSizeCodeFixProvider.PadKey);

    [Fact]
    public Task Pad_goes_before_the_first_layer_when_the_input_is_declared_after_it() => CodeFixVerifier.VerifyAsync(Usings + """
        [Network, Conv(4, 5, Stride = 2)]
        [Input(1, {|STR0001:30|})]
        public partial class Net;
        """, Usings + """
        [Network, Pad(0, 1), Conv(4, 5, Stride = 2)]
        [Input(1, 30)]
        public partial class Net;
        """, InputSizeCodeFixProvider.PadKey);

    [Fact]
    public async Task A_fix_that_would_break_a_later_layer_is_not_offered()
    {
        // Conv k3 s2 maps 9 to 4 and 11 to 5; Reshape(4) only fits the lower size, so neither 11 nor the Pad is offered.
        var titles = (await CodeFixVerifier.OfferedAsync(Usings + """
            [Network, Input(1, 10), Conv(1, 3, Stride = 2), Flatten, Reshape(4)]
            public partial class Net;
            """)).Select(a => a.Title);
        Assert.Equal(new[] { "Change input size to 9" }, titles);
    }
}
