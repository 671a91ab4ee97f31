using Strider.Devices.Cpu;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

public sealed class LossTests : IDisposable
{
    private readonly CpuDevice _device = new(threads: 1);

    public void Dispose() => _device.Dispose();

    [Fact]
    public void Softmax_cross_entropy_value_and_gradient_match_hand_computation()
    {
        float[] logits = [1f, 2f, 3f, 0f, 0f, 0f];
        using var x = Tensor<Scores3>.From(_device, logits);
        using var labels = _device.Allocate<int>(2);
        labels.Upload([2, 0]);
        using var gradient = Tensor<Scores3>.Zeros(_device, 1);
        float loss = Losses.SoftmaxCrossEntropy(x, labels, gradient);

        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        double expected = (-(3 - Math.Log(z)) + Math.Log(3)) / 2;
        Assert.Equal(expected, loss, 1e-5);
        Assert.Equal(2, gradient.Batch);
        double[] want = [Math.Exp(1) / z / 2, Math.Exp(2) / z / 2, (Math.Exp(3) / z - 1) / 2, (1 / 3.0 - 1) / 2, 1 / 6.0, 1 / 6.0];
        var got = gradient.ToArray();
        for (int i = 0; i < 6; i++) Assert.Equal(want[i], got[i], 1e-6);
    }

    [Fact]
    public void Cross_entropy_on_probabilities_is_the_negative_log_of_the_labelled_class()
    {
        using var p = Tensor<Scores3>.From(_device, [0.2f, 0.5f, 0.3f]);
        using var labels = _device.Allocate<int>(1);
        labels.Upload([1]);
        using var gradient = Tensor<Scores3>.Zeros(_device, 1);
        Assert.Equal(-Math.Log(0.5), Losses.CrossEntropy(p, labels, gradient), 1e-6);
        Assert.Equal(-1 / 0.5f, gradient.ToArray()[1], 5);
    }

    [Fact]
    public void Mean_squared_error_and_gradient()
    {
        using var y = Tensor<Scores3>.From(_device, [1f, 2f, 3f]);
        using var t = Tensor<Scores3>.From(_device, [1f, 0f, 4f]);
        using var gradient = Tensor<Scores3>.Zeros(_device, 1);
        Assert.Equal(5 / 3.0, Losses.MeanSquaredError(y, t, gradient), 1e-6);
        Assert.Equal([0f, 4 / 3f, -2 / 3f], gradient.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        using var wrong = Tensor<Scores3>.From(_device, new float[6]);
        Assert.Throws<ArgumentException>(() => Losses.MeanSquaredError(y, wrong, gradient));
    }

    [Fact]
    public void Gradient_tensor_is_reused_while_large_enough()
    {
        using var gradient = Tensor<Scores3>.Zeros(_device, 4);
        var buffer = gradient.Buffer;
        using var labels = _device.Allocate<int>(4);
        using var small = Tensor<Scores3>.From(_device, new float[6]);
        Losses.SoftmaxCrossEntropy(small, labels, gradient);
        Assert.Same(buffer, gradient.Buffer);
        Assert.Equal(2, gradient.Batch);
        using var tooFewLabels = _device.Allocate<int>(1);
        Assert.Contains("needs 2 labels", Assert.Throws<ArgumentException>(() => Losses.SoftmaxCrossEntropy(small, tooFewLabels, gradient)).Message);
    }

    [Fact]
    public void Copy_from_reuses_the_buffer_grows_when_needed_and_checks_lengths()
    {
        using var t = Tensor<Scores3>.Zeros(_device, 2);
        var buffer = t.Buffer;
        t.CopyFrom([1f, 2f, 3f], 1);
        Assert.Same(buffer, t.Buffer);
        Assert.Equal(1, t.Batch);
        Assert.Equal([1f, 2f, 3f], t.ToArray());
        t.CopyFrom(new float[9], 3);
        Assert.NotSame(buffer, t.Buffer);
        Assert.Equal(3, t.Batch);
        Assert.Contains("need 6 values; got 5", Assert.Throws<ArgumentException>(() => t.CopyFrom(new float[5], 2)).Message);
        using var backing = _device.Allocate<float>(3);
        var view = Tensor<Scores3>.View(backing, 1, 3);
        Assert.Contains("cannot grow", Assert.Throws<InvalidOperationException>(() => view.CopyFrom(new float[6], 2)).Message);
    }
}
