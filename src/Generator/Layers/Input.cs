using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>Node 0 of every plan: the network input. No attribute maps to it and no pass writes an op for it.</summary>
internal sealed class InputRule : LayerRule
{
    public InputRule() : base("Input", LayerKind.Input) { }

    public override string Fill => Fills.Input;

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer) =>
        throw new System.InvalidOperationException("The input is planned from [Input], not as a layer.");

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) { }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops) { }

    public override string? OnnxProblem(LayerWriter w, NodePlan n) => "the input is not a layer";

    public override void Onnx(LayerWriter w, NodePlan n) { }
}
