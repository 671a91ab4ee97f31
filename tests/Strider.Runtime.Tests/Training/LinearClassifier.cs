using Strider.Data;
using Strider.Devices;

namespace Strider.Runtime.Tests.Training;

public readonly struct Features4 : IShape
{
    public static ReadOnlySpan<int> Dims => [4];
}

public readonly struct Scores3 : IShape
{
    public static ReadOnlySpan<int> Dims => [3];
}

/// <summary>
/// A hand-written stand-in for a generated network: y = W x + b (optionally followed by Softmax), with PyTorch names,
/// network-owned output buffers that grow with the batch, and seeded initialisation.
/// </summary>
internal sealed class LinearClassifier(Device device, int seed, bool softmax = false) : LinearClassifier<Features4, Scores3>(device, seed, softmax);

public readonly struct Image1x28x28 : IShape
{
    public static ReadOnlySpan<int> Dims => [1, 28, 28];
}

public readonly struct Scores10 : IShape
{
    public static ReadOnlySpan<int> Dims => [10];
}

/// <inheritdoc cref="LinearClassifier"/>
internal class LinearClassifier<TIn, TOut> : INetwork<TIn, TOut> where TIn : IShape where TOut : IShape
{
    private static readonly int In = Size(TIn.Dims), Out = Size(TOut.Dims);
    private static readonly int[] InDims = TIn.Dims.ToArray(), OutDims = TOut.Dims.ToArray();
    private readonly bool _softmax;
    private DeviceBuffer<float> _scores, _probabilities, _dscores, _dx;
    private readonly Tensor<TOut> _output;
    private readonly Tensor<TIn> _inputGradient;
    private Tensor<TIn>? _lastInput;

    public LinearClassifier(Device device, int seed, bool softmax = false)
    {
        Device = device;
        _softmax = softmax;
        Weight = new Parameter(device, "fc.weight", [Out, In]);
        Bias = new Parameter(device, "fc.bias", [Out]);
        Parameters = new[] { Weight, Bias };
        var random = new SeededRandom(seed);
        var w = new float[Out * In];
        // Uniform in +-1/sqrt(in), as PyTorch's Linear.
        float bound = 1f / MathF.Sqrt(In);
        for (int i = 0; i < w.Length; i++) w[i] = bound * (2 * random.NextSingle() - 1);
        Weight.Value.Upload(w);
        _scores = device.Allocate<float>(Out);
        _probabilities = device.Allocate<float>(Out);
        _dscores = device.Allocate<float>(Out);
        _dx = device.Allocate<float>(In);
        _output = Tensor<TOut>.View(_scores, 1, OutDims);
        _inputGradient = Tensor<TIn>.View(_dx, 1, InDims);
    }

    public Parameter Weight { get; }
    public Parameter Bias { get; }
    public Device Device { get; }
    public IReadOnlyList<Parameter> Parameters { get; }
    public IReadOnlyList<Parameter> Buffers { get; } = [];
    public bool Training { get; set; }
    public int ForwardCalls { get; private set; }

    public Tensor<TOut> Forward(Tensor<TIn> input)
    {
        ForwardCalls++;
        int n = input.Batch;
        Grow(ref _scores, n * Out);
        Grow(ref _probabilities, n * Out);
        Device.DenseForward(n, In, Out, input.Buffer, Weight.Value, Bias.Value, _scores);
        if (_softmax) Device.SoftmaxForward(false, n, Out, 1, _scores, _probabilities);
        _lastInput = input;
        _output.Rebind(_softmax ? _probabilities : _scores, n, OutDims);
        return _output;
    }

    public int BackwardCalls { get; private set; }
    public int BackwardParametersCalls { get; private set; }

    public Tensor<TIn> Backward(Tensor<TOut> outputGradient)
    {
        BackwardCalls++;
        int n = BackwardCore(outputGradient, inputGradient: true);
        _inputGradient.Rebind(_dx, n, InDims);
        return _inputGradient;
    }

    public void BackwardParameters(Tensor<TOut> outputGradient)
    {
        BackwardParametersCalls++;
        BackwardCore(outputGradient, inputGradient: false);
    }

    /// <returns>The batch.</returns>
    private int BackwardCore(Tensor<TOut> outputGradient, bool inputGradient)
    {
        var x = _lastInput ?? throw new InvalidOperationException("Backward before Forward.");
        int n = x.Batch;
        Grow(ref _dscores, n * Out);
        var dscores = outputGradient.Buffer;
        if (_softmax)
        {
            Device.SoftmaxBackward(false, n, Out, 1, _probabilities, outputGradient.Buffer, _dscores, accumulate: false);
            dscores = _dscores;
        }
        Device.DenseBackwardWeights(n, In, Out, x.Buffer, dscores, Weight.Gradient, Bias.Gradient);
        if (inputGradient)
        {
            Grow(ref _dx, n * In);
            Device.DenseBackwardData(n, In, Out, dscores, Weight.Value, _dx, accumulate: false);
        }
        return n;
    }

    public void ZeroGrad()
    {
        Device.Fill(Weight.Gradient, 0, Weight.Length, 0);
        Device.Fill(Bias.Gradient, 0, Bias.Length, 0);
    }

    private static int Size(ReadOnlySpan<int> dims)
    {
        int p = 1;
        foreach (int d in dims) p *= d;
        return p;
    }

    private void Grow(ref DeviceBuffer<float> buffer, long length)
    {
        if (buffer.Length >= length) return;
        buffer.Dispose();
        buffer = Device.Allocate<float>(length);
    }

    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
        _scores.Dispose();
        _probabilities.Dispose();
        _dscores.Dispose();
        _dx.Dispose();
    }
}

/// <summary>Synthetic data: three Gaussian-ish blobs in 4-D, separable by a linear classifier.</summary>
internal static class Blobs
{
    private static readonly float[][] Centers = [[2, 0, 0, 1], [0, 2, -1, 0], [-2, -1, 1, 0]];

    public static Dataset Make(int count, long seed, float spread = 0.7f)
    {
        var random = new SeededRandom(seed);
        var inputs = new float[count * 4];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = random.Next(3);
            labels[i] = c;
            for (int d = 0; d < 4; d++)
            {
                // Sum of three uniforms: a cheap bell shape with mean 0 and standard deviation 0.5 * spread.
                float noise = random.NextSingle() + random.NextSingle() + random.NextSingle() - 1.5f;
                inputs[i * 4 + d] = Centers[c][d] + spread * noise;
            }
        }
        return new Dataset(inputs, 4, labels);
    }

    /// <summary>Targets t = A x + c for a fixed A, c: a task a linear net fits exactly.</summary>
    public static Dataset Regression(int count, long seed)
    {
        var random = new SeededRandom(seed);
        var inputs = new float[count * 4];
        var targets = new float[count * 3];
        for (int i = 0; i < count; i++)
        {
            for (int d = 0; d < 4; d++) inputs[i * 4 + d] = 2 * random.NextSingle() - 1;
            for (int o = 0; o < 3; o++)
            {
                float t = 0.5f * (o - 1);
                for (int d = 0; d < 4; d++) t += (o + 1) * 0.3f * (d % 2 == 0 ? 1 : -1) * inputs[i * 4 + d];
                targets[i * 3 + o] = t;
            }
        }
        return new Dataset(inputs, 4, targets, 3);
    }
}
