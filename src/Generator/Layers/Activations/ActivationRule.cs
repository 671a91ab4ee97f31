using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>A parameter of an activation: the attribute argument it is read from (a constructor parameter's or a property's name) and its value when unset.</summary>
internal sealed record ActivationParameter(string Argument, double Unset);

/// <summary>
/// A variant selected by a bool argument (Gelu's Approximate): when it is true the node runs the runtime's
/// <paramref name="Member"/> and the ONNX builder method <paramref name="Onnx"/> instead of the rule's own.
/// </summary>
internal sealed record ActivationVariant(string Switch, string Member, string Onnx);

/// <summary>
/// Every elementwise activation the device runs through <c>Device.ActivationForward</c>: the runtime's
/// <c>Strider.Devices.Activation</c> member of the same name, up to two parameters (p0, p1) read from the attribute by
/// argument name, and the ONNX builder method of <paramref name="onnx"/>'s name taking them in order. A new activation
/// is one line in <see cref="LayerRegistry"/> plus its device op.
/// </summary>
internal class ActivationRule(string name, string onnx, params ActivationParameter[] parameters) : LayerRule(name, name == "Relu" ? LayerKind.Relu : LayerKind.Activation)
{
    public override string Fill => Fills.Activation;

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer)
    {
        planner.PlanElementwise(node);
        if (Varied(layer)) node.Label = Variant!.Member;
        Check(planner, node, layer, Values(layer));
    }

    /// <summary>The parameters as written (or their unset values), in the device's order.</summary>
    private double[] Values(LayerSpec layer) => parameters.Select(p => layer.Number(p.Argument, p.Unset)).ToArray();

    /// <summary>Checks the parameters and sets the label; fails the node with a diagnostic when they are out of range.</summary>
    protected virtual void Check(NetworkPlanner planner, PlanNode node, LayerSpec layer, double[] values) { }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes)
    {
        var values = Values(node.Layer!);
        return new ActivationDetail(new EquatableArray<NamedNumber>(parameters.Select((p, k) => new NamedNumber(p.Argument, values[k])))) { Varied = Varied(node.Layer!) };
    }

    /// <summary>The variant its bool argument selects, if the activation has one.</summary>
    public ActivationVariant? Variant { get; init; }

    /// <summary>Every runtime Activation member this rule can emit: its name, and its variant's.</summary>
    public string[] Members => Variant is null ? new[] { Name } : new[] { Name, Variant.Member };

    private bool Varied(LayerSpec layer) => Variant is not null && layer.Number(Variant.Switch, 0) != 0;

    /// <summary>The runtime Activation member a node runs.</summary>
    private string Member(NodePlan n) => ((ActivationDetail)n.Detail).Varied ? Variant!.Member : Name;

    private string Call(string op, LayerWriter w, NodePlan n) => $"{op}(global::Strider.Devices.Activation.{Member(n)}, {w.Count(n)}";

    /// <summary>p0 and p1 of the device call (0 for a parameter the activation does not have).</summary>
    private static string Parameters(NodePlan n)
    {
        var d = (ActivationDetail)n.Detail;
        return $"{Literals.Float(d.At(0))}, {Literals.Float(d.At(1))}";
    }

    /// <summary>The activation and its p0, p1 as the arguments of a <c>ConvEpilogue</c>, and its name for the kernel comment.</summary>
    public (string Arguments, string Name) EpilogueArguments(NodePlan n) =>
        ($"global::Strider.Devices.Activation.{Member(n)}, {Parameters(n)}", Member(n));

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode)
    {
        // In training a Relu after a BatchNorm runs inside the norm's fused op (the execution plan's chain).
        if (mode == PassMode.Training && w.ChainOf(n) is { } chain)
            w.Line(chain.Last == n ? $"// written by the fused op at {chain.Norm.Name}" : $"// inside the fused op at {chain.Norm.Name} (its output is not written)");
        else
            w.Line($"d.{Call("ActivationForward", w, n)}, {w.A(w.InputOf(n))}, {w.A(n)}, {Parameters(n)});");
    }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        var input = w.InputOf(n);
        int i = input.Index;
        if (w.ChainOf(n) is { } chain) ops.Gradient(i, $"// fused into {chain.Norm.Name}'s BatchNormReluBackward below");
        else
        {
            // A Relu its conv applies at inference leaves the conv's output unwritten there, and in a net without a
            // BatchNorm Backward may follow that Forward: its gradient comes from its own output, [y > 0] = [x > 0].
            bool fromOutput = n.Kind == LayerKind.Relu && w.EpilogueOf(input) is { } e && e.Last.Index == n.Index;
            ops.Gradient(i, $"d.{Call("ActivationBackward", w, n)}, {w.A(fromOutput ? n : input)}, {w.A(n)}, {w.G(n)}, {w.G(input)}, {ops.Acc(i)}, {Parameters(n)});");
        }
    }

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        string values = string.Concat(((ActivationDetail)n.Detail).Parameters.Select(p => ", " + Literals.Float(p.Value)));
        string method = ((ActivationDetail)n.Detail).Varied ? Variant!.Onnx : onnx;
        w.Line($"var {w.A(n)} = b.{method}({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}{values});");
    }
}
