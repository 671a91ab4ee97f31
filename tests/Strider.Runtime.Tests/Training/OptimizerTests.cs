using Strider.Devices.Cpu;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

public sealed class OptimizerTests : IDisposable
{
    private readonly CpuDevice _device = new(threads: 1);

    public void Dispose() => _device.Dispose();

    private FakeNetwork OneParameter(float[] value)
    {
        var net = new FakeNetwork(_device, [("w", [value.Length])]);
        net.Parameters[0].Value.Upload(value);
        return net;
    }

    private static void SetGradient(FakeNetwork net, float[] g) => net.Parameters[0].Gradient.Upload(g);

    [Fact]
    public void Sgd_momentum_and_weight_decay_match_hand_computation()
    {
        using var net = OneParameter([1f, -2f]);
        using var sgd = new Sgd(net, learningRate: 0.1f, momentum: 0.9f, weightDecay: 0.01f);
        // Step 1: g' = g + 0.01 p = [0.51, -0.52]; v = g'; p = [1 - 0.051, -2 + 0.052] = [0.949, -1.948].
        SetGradient(net, [0.5f, -0.5f]);
        sgd.Step();
        Assert.Equal([0.949f, -1.948f], net.Parameters[0].Value.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        // Step 2: g' = [0.5 + 0.00949, 0 - 0.01948]; v = 0.9 [0.51, -0.52] + g' = [0.96849, -0.48748]; p -= 0.1 v.
        SetGradient(net, [0.5f, 0f]);
        sgd.Step();
        Assert.Equal([0.949f - 0.096849f, -1.948f + 0.048748f], net.Parameters[0].Value.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Equal(2, sgd.Steps);
    }

    [Fact]
    public void Adam_matches_hand_computation_with_bias_correction()
    {
        using var net = OneParameter([1f, -1f, 0.5f]);
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        using var adam = new Adam(net, (float)lr, (float)b1, (float)b2, (float)eps);
        double[] p = [1, -1, 0.5], m = new double[3], v = new double[3];
        float[][] gradients = [[0.3f, -0.2f, 0f], [0.1f, 0.4f, -1f], [-0.2f, 0.2f, 0.5f]];
        for (int t = 1; t <= 3; t++)
        {
            SetGradient(net, gradients[t - 1]);
            adam.Step();
            for (int i = 0; i < 3; i++)
            {
                double g = gradients[t - 1][i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                p[i] -= lr * (m[i] / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(b2, t))) + eps);
            }
            var actual = net.Parameters[0].Value.ToArray();
            for (int i = 0; i < 3; i++) Assert.Equal(p[i], actual[i], 5e-6);
        }
        // The first step moves each parameter with a non-zero gradient by about lr, whatever the gradient's scale.
        Assert.Equal(3, adam.Steps);
    }

    [Fact]
    public void Invalid_hyperparameters_are_rejected()
    {
        using var net = OneParameter([1f]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(net, learningRate: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(net, learningRate: 0.1f, momentum: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(net, beta2: 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(net, epsilon: 0f));
    }
}
