using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Devices.Gpu;
using Strider.Runtime.Tests.Reference;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

/// <summary>
/// The losses beyond MSE and cross-entropy: values from PyTorch's documented formulas worked by hand, gradients by
/// central finite differences of the loss itself, on every device (CPU, the reference device, ILGPU's simulator).
/// </summary>
public sealed class LossFormulaTests : IDisposable
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

    private delegate float LossFn(Tensor<Scores3> prediction, Tensor<Scores3> target, Tensor<Scores3> gradient);

    /// <summary>Loss and gradient at <paramref name="prediction"/>, and the gradient by central differences (double precision host-side loss).</summary>
    private static (float Loss, float[] Gradient, double[] Numeric) Evaluate(Device device, float[] prediction, float[] target, LossFn loss)
    {
        int n = prediction.Length / 3;
        using var p = Tensor<Scores3>.From(device, prediction);
        using var t = Tensor<Scores3>.From(device, target);
        using var g = Tensor<Scores3>.Zeros(device, n);
        float value = loss(p, t, g);
        var gradient = g.ToArray();
        var numeric = new double[prediction.Length];
        const float h = 1e-2f;
        for (int i = 0; i < prediction.Length; i++)
        {
            var plus = (float[])prediction.Clone();
            var minus = (float[])prediction.Clone();
            plus[i] += h;
            minus[i] -= h;
            using var pp = Tensor<Scores3>.From(device, plus);
            using var pm = Tensor<Scores3>.From(device, minus);
            using var scratch = Tensor<Scores3>.Zeros(device, n);
            numeric[i] = ((double)loss(pp, t, scratch) - loss(pm, t, scratch)) / (plus[i] - minus[i]);
        }
        return (value, gradient, numeric);
    }

    private static void Near(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Theory, MemberData(nameof(Devices))]
    public void Binary_cross_entropy_with_logits_matches_its_formula_and_differences(string device)
    {
        float[] x = [0.5f, -1f, 2f, 0f, 3f, -0.25f];
        float[] t = [1f, 0f, 1f, 0.5f, 0f, 1f];
        var (loss, gradient, numeric) = Evaluate(On(device), x, t, Losses.BinaryCrossEntropyWithLogits);
        // -[t log σ(x) + (1 - t) log(1 - σ(x))], mean over the 6 values.
        double expected = 0;
        for (int i = 0; i < 6; i++)
        {
            double s = 1 / (1 + Math.Exp(-x[i]));
            expected -= t[i] * Math.Log(s) + (1 - t[i]) * Math.Log(1 - s);
        }
        Assert.Equal(expected / 6, loss, 1e-6);
        Near(x.Select((xi, i) => (1 / (1 + Math.Exp(-xi)) - t[i]) / 6).ToArray(), gradient, 1e-7);
        Near(numeric, gradient, 2e-4);
    }

    [Fact]
    public void Binary_cross_entropy_with_logits_stays_finite_for_large_logits()
    {
        using var p = Tensor<Scores3>.From(_cpu, [100f, -100f, 80f]);
        using var t = Tensor<Scores3>.From(_cpu, [0f, 1f, 1f]);
        using var g = Tensor<Scores3>.Zeros(_cpu, 1);
        // log(1 + e^-100) underflows to 0: the loss is (100 + 100 + 0) / 3.
        Assert.Equal(200.0 / 3, Losses.BinaryCrossEntropyWithLogits(p, t, g), 1e-4);
        Near([1 / 3.0, -1 / 3.0, 0], g.ToArray(), 1e-7);
    }

    [Theory, MemberData(nameof(Devices))]
    public void L1_is_the_mean_absolute_error_with_sign_gradients(string device)
    {
        float[] p = [1f, -2f, 0.5f, 3f, 0f, -1f];
        float[] t = [0f, 1f, 0.5f, 1f, 0.25f, -3f];
        var (loss, gradient, _) = Evaluate(On(device), p, t, Losses.L1);
        Assert.Equal((1 + 3 + 0 + 2 + 0.25 + 2) / 6, loss, 1e-6);
        // sign(0) = 0 where prediction equals target, as torch.sign.
        Near([1 / 6.0, -1 / 6.0, 0, 1 / 6.0, -1 / 6.0, 1 / 6.0], gradient, 1e-7);
    }

    [Theory, MemberData(nameof(Devices))]
    public void Smooth_l1_and_huber_match_pytorch_formulas_on_both_sides_of_beta(string device)
    {
        // Errors 0.5 (quadratic), -3 (linear), 1.5 (linear at beta 1; quadratic at beta 2), 0.1, -0.8, 4.
        float[] p = [1.5f, -2f, 2.5f, 0.1f, 0.2f, 4f];
        float[] t = [1f, 1f, 1f, 0f, 1f, 0f];
        double[] e = [0.5, -3, 1.5, 0.1, -0.8, 4];
        foreach (float beta in new[] { 1f, 2f })
        {
            var (loss, gradient, numeric) = Evaluate(On(device), p, t, (a, b, g) => Losses.SmoothL1(a, b, g, beta));
            double expected = e.Sum(x => Math.Abs(x) < beta ? 0.5 * x * x / beta : Math.Abs(x) - 0.5 * beta) / 6;
            Assert.Equal(expected, loss, 1e-6);
            Near(e.Select(x => (Math.Abs(x) < beta ? x / beta : Math.Sign(x)) / 6).ToArray(), gradient, 1e-6);
            Near(numeric, gradient, 2e-3);

            // HuberLoss(delta): 0.5 e^2 inside, delta (|e| - 0.5 delta) outside.
            var (huber, huberGradient, huberNumeric) = Evaluate(On(device), p, t, (a, b, g) => Losses.Huber(a, b, g, beta));
            double expectedHuber = e.Sum(x => Math.Abs(x) < beta ? 0.5 * x * x : beta * (Math.Abs(x) - 0.5 * beta)) / 6;
            Assert.Equal(expectedHuber, huber, 1e-5);
            Near(huberNumeric, huberGradient, 4e-3);
        }
    }

    [Theory, MemberData(nameof(Devices))]
    public void Dice_matches_its_formula_per_example_and_differences(string device)
    {
        float[] p = [0.9f, 0.2f, 0.6f, 0.1f, 0.7f, 0.4f];
        float[] t = [1f, 0f, 1f, 0f, 1f, 0f];
        var (loss, gradient, numeric) = Evaluate(On(device), p, t, (a, b, g) => Losses.Dice(a, b, g, smooth: 1f));
        // Item 1: I = 0.9 + 0.6 = 1.5, U = 1.7 + 2 = 3.7: 1 - 4 / 4.7. Item 2: I = 0.7, U = 1.2 + 1 = 2.2: 1 - 2.4 / 3.2.
        Assert.Equal(((1 - 4 / 4.7) + (1 - 2.4 / 3.2)) / 2, loss, 1e-6);
        Near(numeric, gradient, 2e-4);
    }

    [Theory, MemberData(nameof(Devices))]
    public void Label_smoothing_matches_pytorch_and_zero_smoothing_is_the_plain_loss(string device)
    {
        var d = On(device);
        float[] logits = [1f, 2f, 3f, 0.5f, -1f, 0f];
        using var x = Tensor<Scores3>.From(d, logits);
        using var labels = d.Allocate<int>(2);
        labels.Upload([2, 0]);
        using var plainGradient = Tensor<Scores3>.Zeros(d, 2);
        using var gradient = Tensor<Scores3>.Zeros(d, 2);
        float plain = Losses.SoftmaxCrossEntropy(x, labels, plainGradient);
        Assert.Equal(plain, Losses.SoftmaxCrossEntropy(x, labels, gradient, 0f), 1e-6);
        Near(plainGradient.ToArray().Select(v => (double)v).ToArray(), gradient.ToArray(), 1e-7);

        // PyTorch: (1 - ε) NLL + ε mean_c(-log p_c), averaged over the two items.
        const double eps = 0.1;
        float loss = Losses.SoftmaxCrossEntropy(x, labels, gradient, (float)eps);
        double expected = 0;
        var want = new double[6];
        int[] label = [2, 0];
        for (int b = 0; b < 2; b++)
        {
            var z = logits.Skip(b * 3).Take(3).Select(v => (double)v).ToArray();
            double logSum = Math.Log(z.Sum(Math.Exp));
            var nll = z.Select(v => logSum - v).ToArray();
            expected += (1 - eps) * nll[label[b]] + eps * nll.Average();
            for (int c = 0; c < 3; c++) want[b * 3 + c] = (Math.Exp(z[c] - logSum) - ((c == label[b] ? 1 - eps : 0) + eps / 3)) / 2;
        }
        Assert.Equal(expected / 2, loss, 1e-6);
        Near(want, gradient.ToArray(), 1e-7);
    }

    [Fact]
    public void Label_smoothing_skips_ignored_positions_and_rejects_bad_values()
    {
        using var x = Tensor<Scores3>.From(_cpu, [1f, 2f, 3f, 9f, 9f, 9f]);
        using var labels = _cpu.Allocate<int>(2);
        labels.Upload([1, -1]);
        using var g = Tensor<Scores3>.Zeros(_cpu, 2);
        Losses.SoftmaxCrossEntropy(x, labels, g, 0.2f);
        Assert.Equal([0f, 0f, 0f], g.ToArray()[3..]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.SoftmaxCrossEntropy(x, labels, g, 1.5f));
    }
}
