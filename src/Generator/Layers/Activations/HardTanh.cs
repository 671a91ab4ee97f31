using System.Globalization;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[HardTanh(min = -1, max = 1)]: PyTorch's hardtanh; the bounds must be ordered, as Clip's.</summary>
internal sealed class HardTanhRule() : ActivationRule("HardTanh", "HardTanh", new ActivationParameter("min", -1), new ActivationParameter("max", 1))
{
    protected override void Check(NetworkPlanner planner, PlanNode node, LayerSpec layer, double[] values)
    {
        string min = values[0].ToString("R", CultureInfo.InvariantCulture), max = values[1].ToString("R", CultureInfo.InvariantCulture);
        if (!(values[0] < values[1]))
        {
            planner.Report("STR0008", Written(layer), node.Name, $"HardTanh's min {min} must be below its max {max}; swap them or widen the range");
            node.Failed = true;
            return;
        }
        node.Label = "HardTanh [" + min + ", " + max + "]";
    }

    /// <summary>The first bound written (positionally or by name), where the disorder is reported; defaults alone are ordered.</summary>
    private static SourceSpan Written(LayerSpec layer)
    {
        foreach (string key in new[] { "0", "min", "1", "max" })
            foreach (var s in layer.Spans)
                if (s.Key == key) return s.Span;
        return layer.SpanOf("");
    }
}
