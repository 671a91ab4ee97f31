using Strider.Shapes;

namespace Strider.Generator.Tests.Shapes;

public class WindowRulesTests
{
    internal static WindowAxis RandomWindow(Random rng, bool allowTransposed = true)
    {
        int k = rng.Next(1, 8), s = rng.Next(1, 5), d = rng.Next(4) == 0 ? rng.Next(2, 4) : 1;
        var mode = (PadMode)rng.Next(3);
        bool transposed = allowTransposed && rng.Next(4) == 0;
        bool ceil = !transposed && mode == PadMode.Explicit && rng.Next(4) == 0;
        int pb = mode == PadMode.Explicit ? rng.Next(0, 4) : 0, pe = mode == PadMode.Explicit ? rng.Next(0, 4) : 0;
        int op = transposed && mode == PadMode.Explicit ? rng.Next(0, s) : 0;
        return new WindowAxis(k, s, d, mode, pb, pe, ceil, transposed, op);
    }

    private static IEnumerable<int> Sizes(Random rng)
    {
        for (int x = 1; x <= 40; x++) yield return x;
        for (int i = 0; i < 25; i++) yield return rng.Next(41, 2001);
    }

    [Fact]
    public void Output_size_and_uncovered_match_sliding_and_scattering()
    {
        var rng = new Random(1234);
        for (int c = 0; c < 3000; c++)
        {
            var w = RandomWindow(rng);
            foreach (int x in Sizes(rng))
            {
                var (pb, pe) = WindowRules.ResolvePadding(w, x);
                var (output, lost) = w.Transposed
                    ? BruteForce.Scatter(w, x, pb, pe, w.Mode == PadMode.Explicit ? w.OutputPadding : 0)
                    : BruteForce.Slide(w, x, pb, pe);
                int formula = WindowRules.OutputSize(w, x);
                if (output >= 1 || formula >= 1)
                    if (!(output == formula)) Assert.Fail($"{w} in={x}: slid {output}, formula {formula}");
                if (!(lost == WindowRules.Uncovered(w, x))) Assert.Fail($"{w} in={x}: lost {lost}, formula {WindowRules.Uncovered(w, x)}");
            }
        }
    }

    [Fact]
    public void Same_and_causal_follow_tensorflow()
    {
        var rng = new Random(99);
        for (int c = 0; c < 2000; c++)
        {
            var w = RandomWindow(rng) with { Mode = rng.Next(2) == 0 ? PadMode.Same : PadMode.Causal, CeilMode = false };
            int x = rng.Next(1, 2001), s = w.Stride, eff = w.EffectiveKernel;
            var (pb, pe) = WindowRules.ResolvePadding(w, x);
            if (w.Transposed)
            {
                Assert.Equal(x * s, WindowRules.OutputSize(w, x));
                continue;
            }

            if (w.Mode == PadMode.Causal)
            {
                Assert.Equal((eff - 1, 0), (pb, pe));
                Assert.Equal((x + s - 1) / s, WindowRules.OutputSize(w, x));
                continue;
            }

            int output = (x + s - 1) / s, total = Math.Max((output - 1) * s + eff - x, 0);
            Assert.Equal((total / 2, total - total / 2), (pb, pe));
            Assert.Equal(output, WindowRules.OutputSize(w, x));
            Assert.Equal(0, WindowRules.Uncovered(w, x));
        }
    }

    [Fact]
    public void Min_input_is_the_first_size_with_an_output()
    {
        var rng = new Random(7);
        for (int c = 0; c < 3000; c++)
        {
            var w = RandomWindow(rng);
            int first = 1;
            while (WindowRules.OutputSize(w, first) < 1) first++;
            if (!(first == WindowRules.MinInput(w))) Assert.Fail($"{w}: first size with output {first}, MinInput {WindowRules.MinInput(w)}");
        }
    }

    [Fact]
    public void Outputs_step_evenly_and_losses_repeat_with_the_period()
    {
        var rng = new Random(8);
        for (int c = 0; c < 2000; c++)
        {
            var w = RandomWindow(rng);
            int p = WindowRules.Period(w), min = (int)WindowRules.RegularFrom(w);
            int growth = w.Transposed ? w.Stride : 1;
            for (int x = min; x < min + 3 * p + 5; x++)
            {
                if (!(WindowRules.OutputSize(w, x) + growth == WindowRules.OutputSize(w, x + p))) Assert.Fail($"{w} output at {x}, {x + p}");
                if (!(WindowRules.Uncovered(w, x) == WindowRules.Uncovered(w, x + p))) Assert.Fail($"{w} lost at {x}, {x + p}");
            }
        }
    }

    [Fact]
    public void Undilated_ceil_mode_and_same_never_lose_inputs()
    {
        var rng = new Random(5);
        for (int c = 0; c < 2000; c++)
        {
            var w = RandomWindow(rng, allowTransposed: false);
            w = rng.Next(2) == 0 ? w with { CeilMode = true, Mode = PadMode.Explicit, Dilation = 1 } : w with { Mode = PadMode.Same };
            int x = rng.Next(1, 300);
            Assert.Equal(0, WindowRules.Uncovered(w, x));
        }
    }

    [Theory]
    [InlineData(5, 2, 1, 0, 0, false, false, "out = floor((in - 5) / 2) + 1")]
    [InlineData(5, 1, 1, 0, 0, false, false, "out = in - 4")]
    [InlineData(3, 1, 1, 1, 1, false, false, "out = in")]
    [InlineData(2, 2, 1, 0, 0, true, false, "out = ceil((in - 2) / 2) + 1")]
    [InlineData(5, 2, 1, 0, 0, false, true, "out = 2 * in + 3")]
    [InlineData(3, 2, 1, 1, 1, false, true, "out = 2 * in - 1")]
    internal void Formula_text_folds_constants(int k, int s, int d, int pb, int pe, bool ceil, bool transposed, string expected) =>
        Assert.Equal(expected, WindowRules.Formula(new WindowAxis(k, s, d, PadMode.Explicit, pb, pe, ceil, transposed)));

    [Fact]
    public void Formula_text_for_same_and_causal()
    {
        Assert.Equal("out = ceil(in / 2)", WindowRules.Formula(new WindowAxis(3, 2, 1, PadMode.Same, 0, 0)));
        Assert.Equal("out = in", WindowRules.Formula(new WindowAxis(2, 1, 4, PadMode.Causal, 0, 0)));
        Assert.Equal("out = 2 * in", WindowRules.Formula(new WindowAxis(4, 2, 1, PadMode.Same, 0, 0, Transposed: true)));
    }

    [Fact]
    public void Formulas_agree_with_output_size()
    {
        // The text is for people, but its numbers must be the rule's: check the common shapes by evaluating them.
        var valid = WindowAxis.Valid(5, 2);
        Assert.Equal((1570 - 5) / 2 + 1, WindowRules.OutputSize(valid, 1570));
        Assert.Equal(1, WindowRules.Uncovered(valid, 1570));
        Assert.Equal(0, WindowRules.Uncovered(valid, 1569));
        Assert.Equal(2 * 389 + 3, WindowRules.OutputSize(new WindowAxis(5, 2, 1, PadMode.Explicit, 0, 0, Transposed: true), 389));
    }

    [Fact]
    public void Invalid_windows_are_rejected_with_the_value()
    {
        var e = Assert.Throws<ArgumentException>(() => WindowRules.Validate(new WindowAxis(3, 0, 1, PadMode.Explicit, 0, 0)));
        Assert.Contains("stride must be at least 1, got 0", e.Message);
    }
}
