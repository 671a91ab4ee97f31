using System;
using System.Collections.Generic;
using Strider.Devices;

namespace Strider.Training;

/// <summary>
/// Updates a network's parameters from their accumulated gradients. State (momentum, moments) is allocated once per
/// parameter when the optimizer is created. Gradients are not cleared: call <see cref="INetwork.ZeroGrad"/> before
/// each backward pass, as in PyTorch.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly List<DeviceBuffer<float>> _state = new();

    protected Optimizer(INetwork network, float learningRate)
    {
        Network = network ?? throw new ArgumentNullException(nameof(network));
        LearningRate = learningRate;
    }

    public INetwork Network { get; }

    /// <summary>The step size; may be changed between steps for a schedule.</summary>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value > 0) || float.IsInfinity(value)) throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be positive and finite.");
            _learningRate = value;
        }
    }
    private float _learningRate;

    /// <summary>Steps taken so far.</summary>
    public int Steps { get; private set; }

    /// <summary>Applies one update to every parameter.</summary>
    public void Step()
    {
        Steps++;
        var parameters = Network.Parameters;
        for (int i = 0; i < parameters.Count; i++) Update(i, parameters[i]);
    }

    /// <summary>Updates parameter <paramref name="index"/> (its position in <see cref="INetwork.Parameters"/>).</summary>
    protected abstract void Update(int index, Parameter parameter);

    /// <summary>One zeroed state buffer per parameter, in parameter order.</summary>
    protected DeviceBuffer<float>[] AllocateState()
    {
        var parameters = Network.Parameters;
        var buffers = new DeviceBuffer<float>[parameters.Count];
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i] = Network.Device.Allocate<float>(parameters[i].Length);
            _state.Add(buffers[i]);
        }
        return buffers;
    }

    protected static void CheckRange(string name, float value, float min, float maxExclusive)
    {
        if (!(value >= min && value < maxExclusive))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [{min}, {maxExclusive}).");
    }

    public void Dispose()
    {
        foreach (var b in _state) b.Dispose();
        _state.Clear();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// Stochastic gradient descent with momentum and L2 weight decay, as PyTorch's SGD (dampening 0, not Nesterov):
/// g' = g + wd p; v = momentum v + g'; p -= lr v.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly DeviceBuffer<float>[] _velocity;

    public Sgd(INetwork network, float learningRate, float momentum = 0f, float weightDecay = 0f) : base(network, learningRate)
    {
        CheckRange(nameof(momentum), momentum, 0f, 1f);
        CheckRange(nameof(weightDecay), weightDecay, 0f, 1f);
        Momentum = momentum;
        WeightDecay = weightDecay;
        _velocity = AllocateState();
    }

    public float Momentum { get; }
    public float WeightDecay { get; }

    protected override void Update(int index, Parameter p) =>
        Network.Device.SgdStep(p.Length, p.Value, p.Gradient, _velocity[index], LearningRate, Momentum, WeightDecay);
}

/// <summary>
/// Adam (Kingma and Ba) with bias correction and L2 weight decay added to the gradient, as PyTorch's Adam:
/// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly DeviceBuffer<float>[] _m;
    private readonly DeviceBuffer<float>[] _v;

    public Adam(INetwork network, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f)
        : base(network, learningRate)
    {
        CheckRange(nameof(beta1), beta1, 0f, 1f);
        CheckRange(nameof(beta2), beta2, 0f, 1f);
        CheckRange(nameof(weightDecay), weightDecay, 0f, 1f);
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive.");
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        _m = AllocateState();
        _v = AllocateState();
    }

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }

    protected override void Update(int index, Parameter p) =>
        Network.Device.AdamStep(p.Length, p.Value, p.Gradient, _m[index], _v[index], LearningRate, Beta1, Beta2, Epsilon, WeightDecay, Steps);
}
