using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>Generated Backward against central finite differences of generated Forward, on the default CPU device.</summary>
public class GradientTests
{
    private static float[] Random(int count, int seed, float scale = 1f)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>L = sum(forward(x) * r): its gradient is Backward(r). <paramref name="replay"/> runs before each Forward (e.g. to reuse one dropout mask).</summary>
    private static double Loss<TIn, TOut>(INetwork<TIn, TOut> net, Tensor<TIn> x, float[] r, System.Action? replay) where TIn : IShape where TOut : IShape
    {
        replay?.Invoke();
        var y = net.Forward(x).ToArray();
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += (double)y[i] * r[i];
        return sum;
    }

    private static int ItemSize<TShape>(int[] freeDims) where TShape : IShape
    {
        int size = 1, free = 0;
        foreach (int d in TShape.Dims) size *= d == Dim.Any ? freeDims[free++] : d;
        return size;
    }

    /// <summary>
    /// Backward against central differences of the loss at <paramref name="samples"/> random entries of one array
    /// (the input or a parameter): each entry is moved through <paramref name="upload"/> and restored. A difference taken
    /// with steps eps and eps/2 that disagree means a kink (a Relu or max flipping) lies within the step: that entry is
    /// counted in <paramref name="kinks"/> rather than compared, since neither difference is a derivative there.
    /// </summary>
    private static void CheckEntries(string what, float[] values, System.Action<float[]> upload, float[] analytic, int samples,
        System.Random random, System.Func<double> loss, ref int kinks)
    {
        double Central(int i, float eps)
        {
            float keep = values[i];
            values[i] = keep + eps; upload(values);
            double up = loss();
            values[i] = keep - eps; upload(values);
            double down = loss();
            values[i] = keep; upload(values);
            return (up - down) / (2 * eps);
        }

        for (int t = 0; t < samples; t++)
        {
            int i = random.Next(values.Length);
            double coarse = Central(i, 1e-2f), fine = Central(i, 5e-3f);
            // Smooth, the two differ by O(eps²) plus float noise (about 1e-3 here); a kink inside the step moves them far more.
            if (System.Math.Abs(coarse - fine) > 2e-3 + 1e-2 * System.Math.Abs(coarse)) { kinks++; continue; }
            AssertNear(coarse, analytic[i], $"{what}[{i}]");
        }
    }

    /// <param name="input">The input to differentiate at (random in [-1, 1] when null): nets with max need values further apart than the step.</param>
    internal static void Check<TIn, TOut>(INetwork<TIn, TOut> net, int batch, int seed, float[]? input = null, int[]? freeDims = null,
        System.Action? replay = null)
        where TIn : IShape where TOut : IShape
    {
        var device = net.Device;
        freeDims ??= System.Array.Empty<int>();
        var xData = input ?? Random(batch * ItemSize<TIn>(freeDims), seed);
        using var x = Tensor<TIn>.From(device, xData, freeDims);

        net.ZeroGrad();
        replay?.Invoke();
        var y = net.Forward(x);
        var r = Random(y.ToArray().Length, seed + 1);
        using var dy = Tensor<TOut>.From(device, r, y.Dims.ToArray().Where((_, axis) => TOut.Dims[axis] == Dim.Any).ToArray());
        var dx = net.Backward(dy).ToArray();
        var paramGrads = net.Parameters.Select(p => p.Gradient.ToArray()).ToList();

        var random = new System.Random(seed + 2);
        double LossNow() => Loss(net, x, r, replay);
        int kinks = 0, checkedEntries = 12 + 4 * net.Parameters.Count;
        CheckEntries("input", xData, v => x.Buffer.Upload(v), dx, 12, random, LossNow, ref kinks);
        for (int p = 0; p < net.Parameters.Count; p++)
        {
            var parameter = net.Parameters[p];
            CheckEntries(parameter.Name, parameter.Value.ToArray(), v => parameter.Value.Upload(v), paramGrads[p], 4, random, LossNow, ref kinks);
        }
        // Kinks are rare; many of them would mean the differences themselves are noise, and the check proves nothing.
        Assert.True(kinks * 10 <= checkedEntries, $"{kinks} of {checkedEntries} sampled entries had disagreeing differences at two step sizes.");
    }

    private static void AssertNear(double numeric, float analytic, string what)
    {
        double tolerance = 5e-3 + 5e-2 * System.Math.Abs(numeric);
        Assert.True(System.Math.Abs(numeric - analytic) <= tolerance, $"{what}: finite difference {numeric:G6}, Backward {analytic:G6}");
    }

    [Fact]
    public void Branches_merges_deconv_pool_flatten_dense() { using var net = new Branchy(Device.Default, 3); Check(net, 2, 10); }

    [Fact]
    public void Causal_batchnorm_pad_crop_permute() { using var net = new Sequence(Device.Default, 4); Check(net, 3, 20); }

    [Fact]
    public void Unpool_and_tied_weights_accumulate_both_uses() { using var net = new Unpooling(Device.Default, 5); Check(net, 2, 30); }

    /// <summary>The U-net's structure with few filters: batch norm in training mode, dropout with one replayed mask, both skip sums.</summary>
    [Fact]
    public void Unet_with_batchnorm_dropout_and_skip_sums()
    {
        using var net = new SmallDdae(Device.Default, 6);
        long step = net.DropoutStep;
        Assert.True(net.Training);
        Check(net, 2, 40, freeDims: new[] { 77, 77 }, replay: () => net.DropoutStep = step);
    }
}
