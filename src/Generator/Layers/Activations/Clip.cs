using System.Globalization;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Clip(min, max)]: clamps to [min, max]; the bounds must be ordered.</summary>
internal sealed class ClipRule() : ActivationRule("Clip", "Clip", new ActivationParameter("min", 0), new ActivationParameter("max", 0))
{
    protected override void Check(NetworkPlanner planner, PlanNode node, LayerSpec layer, double[] values)
    {
        if (!(values[0] < values[1])) { planner.Report("STR0008", layer.SpanOf("0"), node.Name, $"Clip's min {layer.Min} must be below its max {layer.Max}"); node.Failed = true; return; }
        node.Label = "Clip [" + values[0].ToString("R", CultureInfo.InvariantCulture) + ", " + values[1].ToString("R", CultureInfo.InvariantCulture) + "]";
    }
}
