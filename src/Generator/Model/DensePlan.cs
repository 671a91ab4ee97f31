namespace Strider.Generator.Model;

/// <summary>
/// One node of the dense (stride-1) variant: its shape there, and its window's dilation and crop offsets after the
/// à trous rewrite. Strides are all 1 and pads all 0 (padded windows have no dense variant, see STR0019).
/// </summary>
internal sealed record DenseNodePlan(int Index, EquatableArray<SizeExpr> Shape, int DilationH, int DilationW, int OffsetTop, int OffsetLeft);

/// <summary>
/// The dense variant of a fully convolutional network. Its free axes are indexed by the raw input size (a dense axis
/// of size <c>in - (Field - 1)</c> is <c>SizeExpr(1 - Field, 1, axis)</c>), since every size from the field up works.
/// </summary>
/// <param name="Nodes">One per plan node, same order.</param>
/// <param name="Fields">Per spatial axis: the smallest input (the window one dense output sees).</param>
/// <param name="Strides">Per spatial axis: the strided network's effective stride (dense output y is strided output y / stride of the input shifted by y mod stride).</param>
internal sealed record DensePlan(EquatableArray<DenseNodePlan> Nodes, EquatableArray<int> Fields, EquatableArray<int> Strides);
