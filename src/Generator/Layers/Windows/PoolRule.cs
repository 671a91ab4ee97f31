using Strider.Generator.Model;

namespace Strider.Generator.Layers;

/// <summary>MaxPool and AvgPool: channels kept, a PoolGeometry; stride defaults to the kernel.</summary>
internal abstract class PoolRule : WindowRule
{
    protected PoolRule(string name, LayerKind kind) : base(name, kind) { }

    public override string Fill => Fills.Pooling;

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        var (c, hi, wi) = w.Chw(w.InputOf(n));
        var (_, ho, wo) = w.Chw(n);
        w.AddGeometry("Geometry", "PoolGeometry", $"Channels: {c}, InH: {hi}, InW: {wi}, OutH: {ho}, OutW: {wo}", Window(n));
    }
}
