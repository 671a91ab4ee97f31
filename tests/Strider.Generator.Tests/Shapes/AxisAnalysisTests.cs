using Strider.Shapes;

namespace Strider.Generator.Tests.Shapes;

public class AxisAnalysisTests
{
    private static readonly WindowAxis K5S2 = WindowAxis.Valid(5, 2);
    private static readonly WindowAxis D5S2 = new(5, 2, 1, PadMode.Explicit, 0, 0, Transposed: true);

    // Conv k5 s2 x4 (c12 after the second), Deconv k5 s2 x2 (d12), merge(c12, d12), Deconv x2, merge(input, last).
    private static (AxisGraph Graph, int C1, int C12, int C3, int Merge12, int MergeOut) UNet()
    {
        var g = new AxisGraph();
        int c1 = g.AddWindow(0, K5S2), c12 = g.AddWindow(c1, K5S2), c3 = g.AddWindow(c12, K5S2), c4 = g.AddWindow(c3, K5S2);
        int d11 = g.AddWindow(c4, D5S2), d12 = g.AddWindow(d11, D5S2);
        int m12 = g.AddMerge(new[] { c12, d12 });
        int d21 = g.AddWindow(m12, D5S2), d22 = g.AddWindow(d21, D5S2);
        int mOut = g.AddMerge(new[] { 0, d22 });
        return (g, c1, c12, c3, m12, mOut);
    }

    [Fact]
    public void UNet_accepts_61_plus_16n_and_explains_1570()
    {
        var (g, c1, c12, c3, m12, mOut) = UNet();
        var a = AxisAnalysis.Analyze(g);
        Assert.Equal(SizeSet.Progression(61, 16), a.ValidInputs);
        Assert.Equal("61 + 16n (n >= 0)", a.ValidInputs.Describe());

        var e = a.Evaluate(1570);
        Assert.False(e.IsValid);
        Assert.Equal(new AxisProblem(AxisProblemKind.Uncovered, c1, 1570, 1, Array.Empty<(int, int)>()).ToString(), e.Problems[0].ToString());
        Assert.Equal(AxisProblemKind.Uncovered, e.Problems[1].Kind);
        Assert.Equal(c3, e.Problems[1].Node);
        var mismatch = e.Problems.First(p => p.Kind == AxisProblemKind.Mismatch);
        Assert.Equal(m12, mismatch.Node);
        Assert.Equal(new[] { 390, 389 }, mismatch.MergeSizes.Select(s => s.Size));
        Assert.Equal(c12, mismatch.MergeSizes[0].Node);
        Assert.Equal(mOut, e.Problems[^1].Node);

        Assert.Equal(1565, a.ValidInputs.NearestBelow(1570));
        Assert.Equal(1581, a.ValidInputs.NearestAbove(1570));
        Assert.Equal((0, 11), ValidSizePadding.ToNearestValid(a.ValidInputs, 1570));
        Assert.Equal((0, -5), ValidSizePadding.CropToNearestValid(a.ValidInputs, 1570));
        Assert.True(a.Evaluate(1581).IsValid);

        Assert.Equal((29L, 8L), a.Affine(c1));
        Assert.Equal((13L, 4L), a.Affine(c12));
        Assert.Equal((61L, 16L), a.Affine(mOut));
    }

    [Fact]
    public void Four_valid_k5_s2_convs_accept_61_plus_16n()
    {
        var g = new AxisGraph();
        int last = 0;
        for (int i = 0; i < 4; i++) last = g.AddWindow(last, K5S2);
        var a = AxisAnalysis.Analyze(g);
        Assert.Equal(SizeSet.Progression(61, 16), a.ValidInputs);
        Assert.Equal((1L, 1L), a.Affine(last));
        Assert.Equal(new FieldOfView(61, 16, 0), a.Field(last));
    }

    [Fact]
    public void LeNet_fits_28_with_field_28_and_jump_4()
    {
        var g = new AxisGraph();
        int n = g.AddWindow(0, WindowAxis.Valid(5));
        n = g.AddWindow(n, WindowAxis.Valid(2, 2));
        n = g.AddWindow(n, WindowAxis.Valid(5));
        n = g.AddWindow(n, WindowAxis.Valid(2, 2));
        n = g.AddWindow(n, WindowAxis.Valid(4));
        var a = AxisAnalysis.Analyze(g);
        Assert.True(a.Evaluate(28).IsValid);
        Assert.Equal(1, a.Evaluate(28).Sizes[n]);
        Assert.Equal(SizeSet.Progression(28, 4), a.ValidInputs);
        Assert.Equal((1L, 1L), a.Affine(n));
        var field = a.Field(n);
        Assert.Equal(new Rational(28, 1), field.Size);
        Assert.Equal(new Rational(4, 1), field.Jump);
        Assert.Equal("28", field.Size.ToString());
    }

    [Fact]
    public void Dilated_causal_stack_sees_32_steps()
    {
        var g = new AxisGraph();
        int n = 0;
        foreach (int d in new[] { 1, 2, 4, 8, 16 }) n = g.AddWindow(n, new WindowAxis(2, 1, d, PadMode.Causal, 0, 0));
        var a = AxisAnalysis.Analyze(g);
        Assert.Equal(SizeSet.All, a.ValidInputs);
        Assert.Equal(new FieldOfView(32, 1, -31), a.Field(n));
        Assert.Equal((1L, 1L), a.Affine(n));
    }

    [Fact]
    public void Transposed_fields_are_rational()
    {
        var g = new AxisGraph();
        int up = g.AddWindow(0, new WindowAxis(3, 2, 1, PadMode.Explicit, 1, 1, Transposed: true));
        var a = AxisAnalysis.Analyze(g);
        Assert.Equal("1/2", a.Field(up).Jump.ToString());
        Assert.Equal(new Rational(2, 1), a.Field(up).Size);
        Assert.Equal(new Rational(-1, 2), a.Field(up).Start);
    }

    [Fact]
    public void Same_layers_accept_everything_but_are_not_affine()
    {
        var g = new AxisGraph();
        int n = g.AddWindow(0, new WindowAxis(3, 2, 1, PadMode.Same, 0, 0));
        var a = AxisAnalysis.Analyze(g);
        Assert.Equal(SizeSet.All, a.ValidInputs);
        Assert.False(a.TryAffine(n, out _));
        var e = Assert.Throws<InvalidOperationException>(() => a.Affine(n));
        Assert.Contains("not affine", e.Message);
    }

    [Fact]
    public void Merging_paths_of_different_slopes_leaves_one_size()
    {
        var g = new AxisGraph();
        int half = g.AddWindow(0, WindowAxis.Valid(2, 2));
        int crop = g.AddPad(0, -3, -3);
        g.AddMerge(new[] { half, crop });                    // x / 2 == x - 6 only at x = 12
        var a = AxisAnalysis.Analyze(g);
        Assert.Equal(SizeSet.Single(12), a.ValidInputs);
        Assert.Equal("only 12", a.ValidInputs.Describe());
        Assert.Equal((6L, 0L), a.Affine(half));
    }

    [Fact]
    public void Unpooling_restores_the_pool_input_size()
    {
        var g = new AxisGraph();
        int conv = g.AddWindow(0, new WindowAxis(3, 1, 1, PadMode.Same, 0, 0));
        int pool = g.AddWindow(conv, WindowAxis.Valid(2, 2));
        int unpool = g.AddSizeOf(pool, conv);
        g.AddMerge(new[] { unpool, 0 });
        var a = AxisAnalysis.Analyze(g);
        Assert.Equal(SizeSet.Progression(2, 2), a.ValidInputs);
        Assert.Equal(9, a.Evaluate(9).Sizes[unpool]);
        Assert.Equal(AxisProblemKind.Uncovered, a.Evaluate(9).Problems.Single().Kind);
    }

    [Fact]
    public void Graph_rejects_unknown_nodes_with_the_range()
    {
        var g = new AxisGraph();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => g.AddPad(3, 1, 1));
        Assert.Contains("Node 3 does not exist; this axis graph has nodes 0..0", e.Message);
    }

    private static AxisGraph RandomGraph(Random rng)
    {
        var g = new AxisGraph();
        int steps = rng.Next(1, 9);
        for (int i = 0; i < steps; i++)
        {
            int from = rng.Next(2) == 0 ? g.Count - 1 : rng.Next(g.Count);
            switch (rng.Next(11))
            {
                case 10:
                    // Global or adaptive pooling: a fixed size from any input size.
                    g.AddFixed(from, rng.Next(1, 4));
                    break;
                case <= 3:
                    g.AddWindow(from, SmallWindow(rng));
                    break;
                case 4 or 5:
                {
                    // Encoder-decoder step: a window, its transposed twin, and a skip merge with where it started.
                    var w = SmallWindow(rng) with { Transposed = false, CeilMode = false };
                    int down = g.AddWindow(from, w);
                    var t = w with { Transposed = true, Mode = w.Mode == PadMode.Causal ? PadMode.Explicit : w.Mode, OutputPadding = rng.Next(0, w.Stride) };
                    int up = g.AddWindow(down, t);
                    g.AddMerge(new[] { from, up });
                    break;
                }

                case 6:
                    g.AddPad(from, rng.Next(-3, 4), rng.Next(-3, 4));
                    break;
                case 7:
                    g.AddMerge(new[] { from, rng.Next(g.Count) });
                    break;
                case 8:
                    g.AddScale(from, rng.Next(1, 4));
                    break;
                default:
                {
                    var pool = WindowAxis.Valid(rng.Next(1, 4), rng.Next(1, 4));
                    int pooled = g.AddWindow(from, pool);
                    g.AddSizeOf(pooled, from);
                    break;
                }
            }
        }

        return g;
    }

    private static WindowAxis SmallWindow(Random rng)
    {
        var w = WindowRulesTests.RandomWindow(rng);
        return w with { Kernel = Math.Min(w.Kernel, 5), Stride = Math.Min(w.Stride, 3) };
    }

    [Fact]
    public void Valid_inputs_are_exactly_the_sizes_that_evaluate_cleanly()
    {
        var rng = new Random(2024);
        int affineChecked = 0, singles = 0, unions = 0;
        for (int c = 0; c < 250; c++)
        {
            var g = RandomGraph(rng);
            var a = AxisAnalysis.Analyze(g);
            for (int x = 1; x <= 2000; x++)
            {
                bool valid = a.Evaluate(x).IsValid;
                if (a.ValidInputs.Contains(x) != valid)
                    Assert.Fail($"graph #{c}: valid set {a.ValidInputs} says {!valid} at {x}; evaluation: {string.Join("; ", a.Evaluate(x).Problems)}");
            }

            if (a.ValidInputs.IsProgression && a.ValidInputs.Step == 0) singles++;
            if (!a.ValidInputs.IsProgression && !a.ValidInputs.IsEmpty) unions++;
            if (!a.ValidInputs.IsProgression) continue;
            for (int node = 0; node < g.Count; node++)
            {
                if (!a.TryAffine(node, out var affine)) continue;
                affineChecked++;
                for (int n = 0; n < 20; n++)
                {
                    long x = a.ValidInputs.Start + (long)a.ValidInputs.Step * n;
                    if (x > 5000) break;
                    Assert.Equal(affine.U + affine.V * n, a.Evaluate((int)x).Sizes[node]);
                }
            }
        }

        Assert.True(affineChecked > 100 && singles > 0 && unions > 0, $"too few interesting graphs: {affineChecked} affine nodes, {singles} single sizes, {unions} unions");
    }
}

public class FieldOfViewTests
{
    // Input coordinates output `position` of the last node depends on, by walking each window's taps backwards.
    private static SortedSet<long> Dependencies(AxisGraph g, IReadOnlyList<int> sizes, long position)
    {
        var current = new SortedSet<long> { position };
        for (int id = g.Count - 1; id > 0; id--)
        {
            var node = g[id];
            var previous = new SortedSet<long>();
            foreach (long o in current)
            {
                if (node.Kind == AxisNodeKind.Pad) previous.Add(o - node.PadBegin);
                else
                {
                    var w = node.Window;
                    var (pb, _) = WindowRules.ResolvePadding(w, sizes[node.From[0]]);
                    for (int j = 0; j < w.Kernel; j++) previous.Add(o * w.Stride - pb + j * w.Dilation);
                }
            }

            current = previous;
        }

        return current;
    }

    [Fact]
    public void Fields_of_window_chains_match_the_taps_they_read()
    {
        var rng = new Random(77);
        int checkedChains = 0;
        for (int c = 0; c < 400; c++)
        {
            var g = new AxisGraph();
            int layers = rng.Next(1, 6);
            for (int i = 0; i < layers; i++)
            {
                if (rng.Next(5) == 0) g.AddPad(g.Count - 1, rng.Next(0, 3), rng.Next(0, 3));
                else g.AddWindow(g.Count - 1, WindowRulesTests.RandomWindow(rng, allowTransposed: false));
            }

            var a = AxisAnalysis.Analyze(g);
            int input = rng.Next(200, 600);
            var sizes = a.Evaluate(input).Sizes;
            if (sizes[g.Count - 1] < 2) continue;
            checkedChains++;
            var field = a.Field(g.Count - 1, input);
            var first = Dependencies(g, sizes, 0);
            var second = Dependencies(g, sizes, 1);
            Assert.Equal(new Rational(first.Max - first.Min + 1, 1), field.Size);
            Assert.Equal(new Rational(first.Min, 1), field.Start);
            Assert.Equal(new Rational(second.Min - first.Min, 1), field.Jump);
        }

        Assert.True(checkedChains > 200, $"only {checkedChains} chains had two outputs");
    }

    [Fact]
    public void Resnet_axis_accepts_every_size_and_halves_224_five_times()
    {
        var g = new AxisGraph();
        int n = g.AddWindow(0, new WindowAxis(7, 2, 1, PadMode.Explicit, 3, 3));
        n = g.AddWindow(n, new WindowAxis(3, 2, 1, PadMode.Explicit, 1, 1));
        var stages = new List<int>();
        for (int stage = 0; stage < 3; stage++)
        {
            int main = g.AddWindow(n, new WindowAxis(3, 2, 1, PadMode.Explicit, 1, 1));
            main = g.AddWindow(main, new WindowAxis(3, 1, 1, PadMode.Explicit, 1, 1));
            int shortcut = g.AddWindow(n, WindowAxis.Valid(1, 2));
            n = g.AddMerge(new[] { main, shortcut });
            stages.Add(n);
        }

        var a = AxisAnalysis.Analyze(g);
        Assert.Equal(SizeSet.All, a.ValidInputs);
        Assert.Equal(new[] { 28, 14, 7 }, stages.Select(s => a.Evaluate(224).Sizes[s]));
        Assert.Equal(new Rational(32, 1), a.Field(n).Jump);
    }
}
