using System.Collections.Generic;
using System.Linq;

namespace Strider.Generator.Layers;

/// <summary>
/// Every layer attribute's rule, keyed by the attribute's metadata name (<c>Strider.ConvAttribute</c>). The only place
/// that lists layer kinds: the parser, planner and emitter ask a node's rule instead of switching over kinds.
/// </summary>
internal static class LayerRegistry
{
    /// <summary>Node 0: the network input.</summary>
    public static readonly LayerRule Input = new InputRule();

    /// <summary>The rules in the runtime's attribute order.</summary>
    public static readonly IReadOnlyList<LayerRule> All = new LayerRule[]
    {
        new ConvRule(),
        new DeconvRule(),
        new MaxPoolRule(),
        new AvgPoolRule(),
        new MaxUnpoolRule(),
        new DenseRule(),
        new FlattenRule(),
        new ReshapeRule(),
        new PermuteRule(),
        new PadRule(),
        new CropRule(),
        new BatchNormRule(),
        new DropoutRule(),
        new ActivationRule("Relu", onnx: "Relu"),
        new ActivationRule("Elu", onnx: "Elu", new ActivationParameter("Alpha", 1.0)),
        new ActivationRule("Sigmoid", onnx: "Sigmoid"),
        new ActivationRule("Tanh", onnx: "Tanh"),
        new ActivationRule("SoftSign", onnx: "Softsign"),
        new ClipRule(),
        new ActivationRule("Log", onnx: "Log"),
        new ActivationRule("Exp", onnx: "Exp"),
        new ActivationRule("LeakyRelu", onnx: "LeakyRelu", new ActivationParameter("slope", 0.01)),
        new SoftmaxRule(log: false),
        new SoftmaxRule(log: true),
        new AddRule(),
        new ConcatRule(),
        new ActivationRule("Relu6", onnx: "Relu6"),
        new HardTanhRule(),
        new ActivationRule("Silu", onnx: "Silu"),
        new ActivationRule("Gelu", onnx: "Gelu") { Variant = new ActivationVariant("Approximate", Member: "GeluTanh", Onnx: "GeluTanh") },
        new ActivationRule("HardSwish", onnx: "HardSwish"),
        new ActivationRule("HardSigmoid", onnx: "HardSigmoid"),
        new ActivationRule("Softplus", onnx: "Softplus"),
        new PReluRule(),
        new GroupNormRule(),
        new LayerNormRule(),
        new MultiplyRule(),
        new AdaptivePoolRule(max: false, global: true),
        new AdaptivePoolRule(max: true, global: true),
        new AdaptivePoolRule(max: false, global: false),
        new AdaptivePoolRule(max: true, global: false),
        new UpsampleRule(),
        new PixelShuffleRule(),
        new ChannelPadRule(),
        new ChannelSliceRule(),
        new ChannelShuffleRule(),
    };

    private static readonly Dictionary<string, LayerRule> s_byAttribute = All.ToDictionary(r => r.AttributeName, System.StringComparer.Ordinal);

    /// <summary>The rule of a layer attribute by its metadata name, or null for any other attribute.</summary>
    public static LayerRule? ByAttribute(string metadataName) => s_byAttribute.TryGetValue(metadataName, out var rule) ? rule : null;
}
