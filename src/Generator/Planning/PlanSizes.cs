using Strider.Generator.Model;

namespace Strider.Generator.Planning;

/// <summary>The planned sizes a rule resolves its node's numbers with (<see cref="Layers.LayerRule.Detail"/>).</summary>
internal sealed class PlanSizes(System.Func<int, EquatableArray<SizeExpr>> shape, System.Func<int, int, long> representative)
{
    /// <summary>Node <paramref name="node"/>'s output shape as the plan gives it (free sizes affine in n{axis}).</summary>
    public EquatableArray<SizeExpr> Shape(int node) => shape(node);

    /// <summary>
    /// A size of spatial axis <paramref name="axis"/> (0-based) of node <paramref name="node"/>'s output that stands for
    /// every admitted one: the size itself when fixed, else its value at n = 0 (Same padding is constant over the sizes).
    /// </summary>
    public long Representative(int node, int axis) => representative(node, axis);
}
