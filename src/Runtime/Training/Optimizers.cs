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
    private readonly List<(string Kind, DeviceBuffer<float>[] Buffers)> _slots = new();
    private readonly HashSet<Parameter> _frozen = new();

    protected Optimizer(INetwork network, float learningRate)
    {
        Network = network ?? throw new ArgumentNullException(nameof(network));
        if (!(learningRate > 0) || float.IsInfinity(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive and finite.");
        LearningRate = learningRate;
    }

    public INetwork Network { get; }

    /// <summary>The step size; may be changed between steps for a schedule (0 is allowed there: a schedule's end).</summary>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || float.IsInfinity(value)) throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be finite and not negative.");
            _learningRate = value;
        }
    }
    private float _learningRate;

    /// <summary>Steps taken so far (restored by a checkpoint).</summary>
    public int Steps { get; internal set; }

    /// <summary>Applies one update to every parameter that is not frozen.</summary>
    public void Step()
    {
        Steps++;
        var parameters = Network.Parameters;
        for (int i = 0; i < parameters.Count; i++)
            if (!_frozen.Contains(parameters[i])) Update(i, parameters[i]);
    }

    /// <summary>
    /// Stops updating the named parameters (PyTorch names, e.g. <c>conv1.weight</c>) for fine-tuning: every optimizer
    /// leaves them bit-identical and gradient clipping ignores them, as PyTorch does for <c>requires_grad=False</c>.
    /// </summary>
    public void Freeze(params string[] names) => SetFrozen(names, true);

    /// <summary>Updates the named parameters again.</summary>
    public void Unfreeze(params string[] names) => SetFrozen(names, false);

    /// <summary>Whether <paramref name="parameter"/> is frozen.</summary>
    public bool IsFrozen(Parameter parameter) => _frozen.Contains(parameter);

    private void SetFrozen(string[] names, bool frozen)
    {
        if (names is null) throw new ArgumentNullException(nameof(names));
        foreach (string name in names)
        {
            Parameter? found = null;
            foreach (var p in Network.Parameters)
                if (p.Name == name) found = p;
            if (found is null)
            {
                var known = new List<string>();
                foreach (var p in Network.Parameters) known.Add(p.Name);
                throw new ArgumentException($"The network has no parameter '{name}'; its parameters are {string.Join(", ", known)}.", nameof(names));
            }
            if (frozen) _frozen.Add(found);
            else _frozen.Remove(found);
        }
    }

    /// <summary>
    /// Scales the gradients of the parameters that are not frozen so that their global L2 norm is at most
    /// <paramref name="maxNorm"/>, as <c>torch.nn.utils.clip_grad_norm_</c>: with total = ||(g_1, ..., g_k)||_2,
    /// every gradient is multiplied by min(1, maxNorm / (total + 1e-6)) (the squares are summed in double where PyTorch
    /// sums per-tensor float norms, so the norm can differ in the last bits). Returns the norm before clipping (NaN or
    /// infinity when a gradient holds one; then nothing is scaled). Call it between backward and <see cref="Step"/>.
    /// </summary>
    public double ClipGradientNorm(float maxNorm)
    {
        if (!(maxNorm > 0) || float.IsInfinity(maxNorm)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The largest norm must be positive and finite.");
        double total = GradientNorm();
        if (!double.IsFinite(total)) return total;
        double coefficient = maxNorm / (total + 1e-6);
        var parameters = Network.Parameters;
        if (coefficient < 1)
            for (int i = 0; i < parameters.Count; i++)
                if (!_frozen.Contains(parameters[i])) Network.Device.Scale(parameters[i].Length, (float)coefficient, parameters[i].Gradient);
        return total;
    }

    // The gradients GradientNorm sums, refilled each step (a steady-state step allocates nothing).
    private readonly List<(long, DeviceBuffer<float>)> _normEntries = new();

    /// <summary>The global L2 norm of the gradients of the parameters that are not frozen.</summary>
    public double GradientNorm()
    {
        var parameters = Network.Parameters;
        _normEntries.Clear();
        for (int i = 0; i < parameters.Count; i++)
            if (!_frozen.Contains(parameters[i])) _normEntries.Add((parameters[i].Length, parameters[i].Gradient));
        // One call for all: a GPU device reads its partial sums back once per step, not once per parameter.
        return Math.Sqrt(Network.Device.SumOfSquares(_normEntries));
    }

    /// <summary>The optimizer's per-parameter state, named as PyTorch's state_dict names it (<c>momentum_buffer</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>).</summary>
    internal IReadOnlyList<(string Kind, DeviceBuffer<float>[] Buffers)> State => _slots;

    /// <summary>Updates parameter <paramref name="index"/> (its position in <see cref="INetwork.Parameters"/>).</summary>
    protected abstract void Update(int index, Parameter parameter);

    /// <summary>One zeroed state buffer per parameter, in parameter order; <paramref name="kind"/> names it in checkpoints.</summary>
    protected DeviceBuffer<float>[] AllocateState(string kind)
    {
        var parameters = Network.Parameters;
        var buffers = new DeviceBuffer<float>[parameters.Count];
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i] = Network.Device.Allocate<float>(parameters[i].Length);
            _state.Add(buffers[i]);
        }
        _slots.Add((kind, buffers));
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
        _velocity = AllocateState("momentum_buffer");
    }

    public float Momentum { get; }
    public float WeightDecay { get; }

    protected override void Update(int index, Parameter p) =>
        Network.Device.SgdStep(p.Length, p.Value, p.Gradient, _velocity[index], LearningRate, Momentum, WeightDecay);
}

/// <summary>The moment buffers and hyper-parameters that <see cref="Adam"/> and <see cref="AdamW"/> share.</summary>
public abstract class AdamFamily : Optimizer
{
    private readonly DeviceBuffer<float>[] _m;
    private readonly DeviceBuffer<float>[] _v;

    private protected AdamFamily(INetwork network, float learningRate, float beta1, float beta2, float epsilon, float weightDecay)
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
        _m = AllocateState("exp_avg");
        _v = AllocateState("exp_avg_sq");
    }

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }

    /// <summary>Adam's bias-corrected step on parameter <paramref name="index"/>, with <paramref name="l2"/> added to the gradient as p x l2.</summary>
    private protected void AdamStep(int index, Parameter p, float l2) =>
        Network.Device.AdamStep(p.Length, p.Value, p.Gradient, _m[index], _v[index], LearningRate, Beta1, Beta2, Epsilon, l2, Steps);
}

/// <summary>
/// Adam (Kingma and Ba) with bias correction and L2 weight decay added to the gradient, as PyTorch's Adam:
/// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
/// </summary>
public sealed class Adam(INetwork network, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f)
    : AdamFamily(network, learningRate, beta1, beta2, epsilon, weightDecay)
{
    protected override void Update(int index, Parameter p) => AdamStep(index, p, WeightDecay);
}

/// <summary>
/// AdamW (Loshchilov and Hutter), as PyTorch's <c>AdamW</c>: the weight decay is decoupled from the gradient,
/// p = p (1 - lr wd), then Adam's update with the plain gradient (bias-corrected, as <see cref="Adam"/>).
/// </summary>
public sealed class AdamW(INetwork network, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 1e-2f)
    : AdamFamily(network, learningRate, beta1, beta2, epsilon, weightDecay)
{
    protected override void Update(int index, Parameter p)
    {
        if (WeightDecay != 0) Network.Device.Scale(p.Length, (float)(1 - (double)LearningRate * WeightDecay), p.Value);
        AdamStep(index, p, 0f);
    }
}
