using System.Globalization;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Clip(min, max)]: clamps to [min, max]; the bounds must be ordered.</summary>
internal sealed class ClipRule() : ActivationRule("Clip", "Clip", new ActivationParameter("min", 0), new ActivationParameter("max", 0))
{
    protected override void Check(NetworkPlanner planner, PlanNode node, LayerSpec layer)
    {
        if (!(node.P0 < node.P1)) { planner.Report("STR0008", layer.SpanOf("0"), node.Name, $"Clip's min {layer.Min} must be below its max {layer.Max}"); node.Failed = true; return; }
        node.Label = "Clip [" + node.P0.ToString("R", CultureInfo.InvariantCulture) + ", " + node.P1.ToString("R", CultureInfo.InvariantCulture) + "]";
    }
}
