namespace Strider.Generator.Planning;

/// <summary>
/// Per-axis state of a node in the à trous rewrite (<see cref="NetworkPlanner"/>'s dense variant): the cumulative stride
/// removed before it, how much the axis shrank, its window's dilation and the amounts a crop removes, in dense values.
/// </summary>
internal sealed class DenseState
{
    public long[] Stride = System.Array.Empty<long>();
    public long[] Shrink = System.Array.Empty<long>();
    public int[] Dilation = System.Array.Empty<int>();
    public int[] Offset = System.Array.Empty<int>();
    public int[] CropEnd = System.Array.Empty<int>();
}
