using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Devices.Gpu;
using Strider.Runtime.Tests.Ilgpu;
using Strider.Runtime.Tests.Reference;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

/// <summary>AdamW, clipping by global norm and frozen parameters, against PyTorch's formulas worked by hand.</summary>
public sealed class OptimizerExtrasTests : IDisposable
{
    private readonly CpuDevice _cpu = new(threads: 1);
    private readonly ReferenceDevice _reference = new();
    private readonly IlgpuDevice _ilgpu = IlgpuDevice.CreateCpuSimulator();

    public void Dispose()
    {
        _cpu.Dispose();
        _ilgpu.Dispose();
    }

    private Device On(string name) => name switch { "cpu" => _cpu, "reference" => _reference, _ => _ilgpu };

    public static TheoryData<string> Devices => new() { "cpu", "reference", "ilgpu" };

    private static FakeNetwork Net(Device device, params float[][] values)
    {
        var net = new FakeNetwork(device, values.Select((v, i) => ($"p{i}", new[] { v.Length })).ToArray());
        for (int i = 0; i < values.Length; i++) net.Parameters[i].Value.Upload(values[i]);
        return net;
    }

    [Theory, MemberData(nameof(Devices))]
    public void AdamW_decays_the_weights_apart_from_the_gradient_as_pytorch(string device)
    {
        using var net = Net(On(device), [1f, -1f, 0.5f]);
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
        using var adamw = new AdamW(net, (float)lr, (float)b1, (float)b2, (float)eps, (float)wd);
        double[] p = [1, -1, 0.5], m = new double[3], v = new double[3];
        float[][] gradients = [[0.3f, -0.2f, 0f], [0.1f, 0.4f, -1f], [-0.2f, 0.2f, 0.5f]];
        for (int t = 1; t <= 3; t++)
        {
            net.Parameters[0].Gradient.Upload(gradients[t - 1]);
            adamw.Step();
            for (int i = 0; i < 3; i++)
            {
                // torch.optim.AdamW: p *= 1 - lr wd; then Adam with the plain gradient.
                double g = gradients[t - 1][i];
                p[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                p[i] -= lr * (m[i] / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(b2, t))) + eps);
            }
            var actual = net.Parameters[0].Value.ToArray();
            for (int i = 0; i < 3; i++) Assert.Equal(p[i], actual[i], 5e-6);
        }
        // The third weight had no gradient in step 1: only the decay moved it, unlike Adam's L2 term that would.
        Assert.Equal(3, adamw.Steps);
    }

    [Theory, MemberData(nameof(Devices))]
    public void Clipping_scales_every_gradient_by_max_norm_over_the_global_norm(string device)
    {
        using var net = Net(On(device), [0f, 0f], [0f]);
        net.Parameters[0].Gradient.Upload([3f, 0f]);
        net.Parameters[1].Gradient.Upload([4f]);
        using var sgd = new Sgd(net, 1f);
        // Global norm 5; clip_grad_norm_(max_norm=1) multiplies by 1 / (5 + 1e-6) and returns 5.
        Assert.Equal(5.0, sgd.ClipGradientNorm(1f), 1e-9);
        double c = 1 / (5 + 1e-6);
        Assert.Equal([(float)(3 * c), 0f], net.Parameters[0].Gradient.ToArray());
        Assert.Equal([(float)(4 * c)], net.Parameters[1].Gradient.ToArray());
        // Below the limit nothing changes.
        net.Parameters[0].Gradient.Upload([0.3f, 0f]);
        net.Parameters[1].Gradient.Upload([0.4f]);
        Assert.Equal(0.5, sgd.ClipGradientNorm(1f), 1e-6);
        Assert.Equal([0.3f, 0f], net.Parameters[0].Gradient.ToArray());
        // A NaN gradient gives a NaN norm and scales nothing (the trainer reports it as divergence).
        net.Parameters[1].Gradient.Upload([float.NaN]);
        Assert.True(double.IsNaN(sgd.ClipGradientNorm(1f)));
        Assert.Equal([0.3f, 0f], net.Parameters[0].Gradient.ToArray());
    }

    [Theory, MemberData(nameof(Devices))]
    public void Frozen_parameters_stay_bit_identical_under_every_optimizer_and_the_others_move(string device)
    {
        var d = On(device);
        Func<INetwork, Optimizer>[] optimizers =
        [
            n => new Sgd(n, 0.1f, momentum: 0.9f, weightDecay: 0.01f),
            n => new Adam(n, 0.1f, weightDecay: 0.01f),
            n => new AdamW(n, 0.1f, weightDecay: 0.1f),
        ];
        foreach (var make in optimizers)
        {
            using var net = Net(d, [1f, 2f], [3f], [-1f, 0.5f]);
            using var optimizer = make(net);
            optimizer.Freeze("p0", "p2");
            var before = net.Snapshot();
            for (int s = 0; s < 3; s++)
            {
                foreach (var p in net.Parameters) p.Gradient.Upload(Enumerable.Repeat(0.5f, (int)p.Length).ToArray());
                optimizer.MaxGradientNormClip();
                optimizer.Step();
            }
            Assert.Equal(before["p0"], net.Parameters[0].Value.ToArray());
            Assert.Equal(before["p2"], net.Parameters[2].Value.ToArray());
            Assert.NotEqual(before["p1"], net.Parameters[1].Value.ToArray());
            Assert.True(optimizer.IsFrozen(net.Parameters[0]));
            optimizer.Unfreeze("p0");
            Assert.False(optimizer.IsFrozen(net.Parameters[0]));
        }
    }

    [Theory, MemberData(nameof(Devices))]
    [Trait("Speed", "Slow")] // a minute on ILGPU's CPU simulator
    public void Sum_of_squares_and_scale_agree_with_double_arithmetic_on_long_buffers(string device)
    {
        var d = On(device);
        var random = new Strider.Data.SeededRandom(5);
        var values = Enumerable.Range(0, 10_007).Select(_ => 2 * random.NextSingle() - 1).ToArray();
        using var x = d.Allocate<float>(values.Length + 3);
        x.Upload(values);
        double expected = values.Sum(v => (double)v * v);
        Assert.Equal(expected, d.SumOfSquares(values.Length, x), expected * 1e-6);
        d.Scale(values.Length, 0.5f, x);
        var scaled = x.ToArray();
        Assert.Equal(values.Select(v => v * 0.5f), scaled.Take(values.Length));
        Assert.Equal([0f, 0f, 0f], scaled[values.Length..]);
        Assert.ThrowsAny<ArgumentException>(() => d.SumOfSquares(values.Length + 4, x));
    }

    [CudaFact]
    public void Cuda_clips_and_steps_adamw_like_the_cpu()
    {
        using var cuda = IlgpuDevice.CreateCuda();
        float[] p0 = [1f, -2f, 0.5f], p1 = [3f];
        float[] g0 = [4f, -1f, 2f], g1 = [-6f];
        float[][] Train(Device d)
        {
            using var net = Net(d, p0, p1);
            using var adamw = new AdamW(net, 0.01f, weightDecay: 0.1f);
            for (int s = 0; s < 3; s++)
            {
                net.Parameters[0].Gradient.Upload(g0);
                net.Parameters[1].Gradient.Upload(g1);
                adamw.ClipGradientNorm(2f);
                adamw.Step();
            }
            return [net.Parameters[0].Value.ToArray(), net.Parameters[1].Value.ToArray()];
        }
        var expected = Train(_cpu);
        var actual = Train(cuda);
        for (int i = 0; i < 2; i++) Near(expected[i].Select(v => (double)v).ToArray(), actual[i], 1e-6);
    }

    private static void Near(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Frozen_gradients_are_left_out_of_the_clipping_norm_and_unknown_names_are_reported()
    {
        using var net = Net(_cpu, [0f], [0f]);
        using var sgd = new Sgd(net, 1f);
        net.Parameters[0].Gradient.Upload([30f]);
        net.Parameters[1].Gradient.Upload([4f]);
        sgd.Freeze("p0");
        Assert.Equal(4.0, sgd.GradientNorm(), 1e-9);
        var e = Assert.Throws<ArgumentException>(() => sgd.Freeze("conv9.weight"));
        Assert.Contains("no parameter 'conv9.weight'; its parameters are p0, p1", e.Message);
    }
}

internal static class OptimizerTestExtensions
{
    /// <summary>Clips at a norm the test gradients exceed, so the clipping pass runs over frozen and free parameters alike.</summary>
    public static void MaxGradientNormClip(this Optimizer optimizer) => optimizer.ClipGradientNorm(0.25f);
}
