using System;
using System.Linq;

namespace Strider.Onnx;

// Issue 13's activations, PRelu and channel norms; what opset 17 lacks is composed from its operators: each intermediate value and node is
// named {name}/{step}, and the layer's output keeps the layer's name.
public sealed partial class OnnxGraphBuilder
{
    /// <summary>PyTorch's ReLU6: Clip to [0, 6] (bounds as initializers <c>{name}/min</c>, <c>{name}/max</c>).</summary>
    public string Relu6(string x, string name) => Clip(x, name, 0, 6);

    /// <summary>PyTorch's Hardtanh: Clip to [min, max].</summary>
    public string HardTanh(string x, string name, double min = -1, double max = 1) => Clip(x, name, min, max);

    /// <summary>PyTorch's SiLU: x · Sigmoid(x).</summary>
    public string Silu(string x, string name)
    {
        string input = Resolve(x);
        string sigmoid = Step("Sigmoid", name, "sigmoid", input);
        return Last("Mul", name, input, sigmoid);
    }

    /// <summary>PyTorch's exact GELU, composed: 0.5 · x · (1 + Erf(x / √2)).</summary>
    public string Gelu(string x, string name)
    {
        string input = Resolve(x);
        string scaled = Step("Div", name, "scaled", input, AddFloatScalar(name + "/sqrt2", MathF.Sqrt(2f)));
        string erf = Step("Erf", name, "erf", scaled);
        return Half(name, input, erf);
    }

    /// <summary>PyTorch's GELU with approximate = "tanh", composed: 0.5 · x · (1 + Tanh(√(2/π) (x + 0.044715 x³))).</summary>
    public string GeluTanh(string x, string name)
    {
        string input = Resolve(x);
        string square = Step("Mul", name, "square", input, input);
        string cube = Step("Mul", name, "cube", square, input);
        string term = Step("Mul", name, "term", cube, AddFloatScalar(name + "/coefficient", 0.044715f));
        string sum = Step("Add", name, "sum", input, term);
        string inner = Step("Mul", name, "inner", sum, AddFloatScalar(name + "/scale", MathF.Sqrt(2f / MathF.PI)));
        string tanh = Step("Tanh", name, "tanh", inner);
        return Half(name, input, tanh);
    }

    /// <summary>PyTorch's Hardswish: ONNX HardSwish (x · max(0, min(1, x/6 + 1/2)), the same function).</summary>
    public string HardSwish(string x, string name) => Unary("HardSwish", x, name);

    /// <summary>PyTorch's Hardsigmoid: ONNX HardSigmoid with alpha 1/6 and beta 1/2 (ONNX's defaults are 0.2 and 0.5).</summary>
    public string HardSigmoid(string x, string name)
    {
        string y = Unary("HardSigmoid", x, name);
        _graph.Node[^1].Attribute.Add(Float("alpha", 1f / 6f));
        _graph.Node[^1].Attribute.Add(Float("beta", 0.5f));
        return y;
    }

    /// <summary>PyTorch's Softplus (beta 1): ONNX Softplus, ln(1 + e^x); above PyTorch's threshold 20 the two differ by under 1e-8.</summary>
    public string Softplus(string x, string name) => Unary("Softplus", x, name);

    /// <summary>
    /// PRelu with PyTorch's weight: [C] (one slope per channel), stored as [C, 1...] with <paramref name="spatialAxes"/>
    /// ones so it broadcasts over [N, C, spatial...]; [1] (one shared slope) as it is.
    /// </summary>
    public string PRelu(string x, string name, OnnxTensor slope, int spatialAxes)
    {
        ArgumentNullException.ThrowIfNull(slope);
        if (slope.Shape.Length != 1 || spatialAxes < 0)
            throw new ArgumentException($"PRelu '{name}': the slope '{slope.Name}' must be PyTorch's [C] or [1] and spatialAxes at least 0; got [{string.Join(", ", slope.Shape)}] and {spatialAxes}.");
        string input = Resolve(x);
        var shape = new int[slope.Shape[0] == 1 ? 1 : 1 + spatialAxes];
        Array.Fill(shape, 1);
        shape[0] = slope.Shape[0];
        string slopes = AddInitializer(new OnnxTensor(slope.Name, shape, slope.Data));
        return Last("PRelu", name, input, slopes);
    }

    /// <summary>
    /// PyTorch's GroupNorm with per-channel weight and bias ([C]): x reshaped to [N, groups, -1], InstanceNormalization
    /// there (one mean and variance per image and group), reshaped back, then x · weight + bias with both as [C, 1...].
    /// Composed because GroupNormalization's scale is per group until opset 21.
    /// </summary>
    public string GroupNorm(string x, string name, int groups, OnnxTensor weight, OnnxTensor bias, int spatialAxes, double epsilon = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        int channels = weight.Shape[0];
        if (groups < 1 || channels % groups != 0)
            throw new ArgumentException($"GroupNorm '{name}': {groups} groups must divide the {channels} channels of '{weight.Name}'.", nameof(groups));
        string input = Resolve(x);
        string grouped = Step("Reshape", name, "grouped", input, AddInt64Constant(name + "/groups_shape", new long[] { 0, groups, -1 }));
        var ones = new float[groups];
        Array.Fill(ones, 1f);
        string scale = AddInitializer(new OnnxTensor(name + "/group_scale", new[] { groups }, ones));
        string zero = AddInitializer(new OnnxTensor(name + "/group_bias", new[] { groups }, new float[groups]));
        string normalised = Step("InstanceNormalization", name, "normalised", grouped, scale, zero);
        _graph.Node[^1].Attribute.Add(Float("epsilon", (float)epsilon));
        string shape = Step("Shape", name, "shape", input);
        string restored = Step("Reshape", name, "restored", normalised, shape);
        string scaled = Step("Mul", name, "scaled", restored, PerChannel(weight, spatialAxes));
        return Last("Add", name, scaled, PerChannel(bias, spatialAxes));
    }

    /// <summary>
    /// LayerNorm over the channel axis (ConvNeXt's LayerNorm2d): Transpose to channels-last, LayerNormalization over the
    /// last axis with weight and bias [C], Transpose back (no transposes for [N, C] features).
    /// </summary>
    public string LayerNormChannels(string x, string name, OnnxTensor weight, OnnxTensor bias, int spatialAxes, double epsilon = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        string input = Resolve(x);
        if (spatialAxes == 0)
        {
            string y = Last("LayerNormalization", name, input, AddInitializer(weight), AddInitializer(bias));
            _graph.Node[^1].Attribute.Add(Int("axis", -1));
            _graph.Node[^1].Attribute.Add(Float("epsilon", (float)epsilon));
            return y;
        }
        int rank = spatialAxes + 2;
        var toLast = new[] { 0 }.Concat(Enumerable.Range(2, spatialAxes)).Append(1).ToArray();
        var toFirst = new[] { 0, rank - 1 }.Concat(Enumerable.Range(1, spatialAxes)).ToArray();
        string last = Step("Transpose", name, "channels_last", input);
        _graph.Node[^1].Attribute.Add(Ints("perm", toLast));
        string normalised = Step("LayerNormalization", name, "normalised", last, AddInitializer(weight), AddInitializer(bias));
        _graph.Node[^1].Attribute.Add(Int("axis", -1));
        _graph.Node[^1].Attribute.Add(Float("epsilon", (float)epsilon));
        string result = Last("Transpose", name, normalised);
        _graph.Node[^1].Attribute.Add(Ints("perm", toFirst));
        return result;
    }

    /// <summary>A [C] parameter as an initializer of shape [C, 1...] (<paramref name="spatialAxes"/> ones) that broadcasts over [N, C, spatial...].</summary>
    private string PerChannel(OnnxTensor t, int spatialAxes)
    {
        var shape = new int[1 + spatialAxes];
        Array.Fill(shape, 1);
        shape[0] = t.Shape[0];
        return AddInitializer(new OnnxTensor(t.Name, shape, t.Data));
    }

    /// <summary>0.5 · x · (1 + <paramref name="cdf"/>): the GELU forms' common tail.</summary>
    private string Half(string name, string x, string cdf)
    {
        string one = Step("Add", name, "one_plus", cdf, AddFloatScalar(name + "/one", 1f));
        string product = Step("Mul", name, "product", x, one);
        return Last("Mul", name, product, AddFloatScalar(name + "/half", 0.5f));
    }

    /// <summary>An intermediate node {name}/{step} whose output value has the same name.</summary>
    private string Step(string opType, string name, string step, params string[] inputs)
    {
        string y = Fresh(name + "/" + step);
        AddNode(opType, name + "/" + step, inputs, new[] { y });
        return y;
    }

    /// <summary>The layer's last node, whose output carries the layer's name.</summary>
    private string Last(string opType, string name, params string[] inputs)
    {
        string y = Fresh(name);
        AddNode(opType, name, inputs, new[] { y });
        return y;
    }
}
