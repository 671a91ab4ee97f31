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

    /// <summary>L = sum(forward(x) * r): its gradient is Backward(r).</summary>
    private static double Loss<TIn, TOut>(INetwork<TIn, TOut> net, Tensor<TIn> x, float[] r) where TIn : IShape where TOut : IShape
    {
        var y = net.Forward(x).ToArray();
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += (double)y[i] * r[i];
        return sum;
    }

    /// <param name="input">The input to differentiate at (random in [-1, 1] when null): nets with max need values further apart than the step.</param>
    internal static void Check<TIn, TOut>(INetwork<TIn, TOut> net, int batch, int seed, float[]? input = null) where TIn : IShape where TOut : IShape
    {
        var device = net.Device;
        long inSize = 1;
        foreach (int d in TIn.Dims) inSize *= d;
        long outSize = 1;
        foreach (int d in TOut.Dims) outSize *= d;
        var xData = input ?? Random((int)(batch * inSize), seed);
        using var x = Tensor<TIn>.From(device, xData);
        var r = Random((int)(batch * outSize), seed + 1);
        using var dy = Tensor<TOut>.From(device, r);

        net.ZeroGrad();
        net.Forward(x);
        var dx = net.Backward(dy).ToArray();
        var paramGrads = net.Parameters.Select(p => p.Gradient.ToArray()).ToList();

        const float eps = 1e-2f;
        var random = new System.Random(seed + 2);
        for (int t = 0; t < 12; t++)
        {
            int i = random.Next(xData.Length);
            float keep = xData[i];
            xData[i] = keep + eps; x.Buffer.Upload(xData);
            double up = Loss(net, x, r);
            xData[i] = keep - eps; x.Buffer.Upload(xData);
            double down = Loss(net, x, r);
            xData[i] = keep; x.Buffer.Upload(xData);
            AssertNear((up - down) / (2 * eps), dx[i], $"input[{i}]");
        }
        for (int p = 0; p < net.Parameters.Count; p++)
        {
            var parameter = net.Parameters[p];
            var values = parameter.Value.ToArray();
            for (int t = 0; t < 4; t++)
            {
                int i = random.Next(values.Length);
                float keep = values[i];
                values[i] = keep + eps; parameter.Value.Upload(values);
                double up = Loss(net, x, r);
                values[i] = keep - eps; parameter.Value.Upload(values);
                double down = Loss(net, x, r);
                values[i] = keep; parameter.Value.Upload(values);
                AssertNear((up - down) / (2 * eps), paramGrads[p][i], $"{parameter.Name}[{i}]");
            }
        }
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
}
