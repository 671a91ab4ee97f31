namespace Strider.Generator.Model;

/// <summary>
/// One node of the dense (stride-1) variant as the à trous rewrite leaves it, before its rule turns it into a node plan:
/// its shape there, per spatial axis its window's dilation and the amounts a Crop removes at the begin and the end.
/// Strides are all 1 and pads all 0 (padded windows have no dense variant, see STR0019).
/// </summary>
internal sealed record DenseNodePlan(int Index, EquatableArray<SizeExpr> Shape, EquatableArray<int> Dilations, EquatableArray<int> CropBegin, EquatableArray<int> CropEnd);

/// <summary>
/// The dense variant of a fully convolutional network. Its free axes are indexed by the raw input size (a dense axis
/// of size <c>in - (Field - 1)</c> is <c>SizeExpr(1 - Field, 1, axis)</c>), since every size from the field up works.
/// </summary>
/// <param name="Nodes">One per plan node, same order and names, with the dense shapes and geometry (<see cref="Layers.LayerRule.DenseDetail"/>).</param>
/// <param name="Fields">Per spatial axis: the smallest input (the window one dense output sees).</param>
/// <param name="Strides">Per spatial axis: the strided network's effective stride (dense output y is strided output y / stride of the input shifted by y mod stride).</param>
internal sealed record DensePlan(EquatableArray<NodePlan> Nodes, EquatableArray<int> Fields, EquatableArray<int> Strides);
