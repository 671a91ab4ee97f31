namespace Strider.Devices;

// Adaptive (and global) average and max pooling over [n, C, H, W] planes, PyTorch's windows.
public abstract partial class Device
{
    /// <summary>Each output is the mean of its window (see <see cref="AdaptivePoolGeometry"/>).</summary>
    public abstract void AdaptiveAvgPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y);

    /// <summary>Each input position gets the sum of dy / window size over the windows that hold it.</summary>
    public abstract void AdaptiveAvgPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>
    /// Each output is its window's max, its argmax stored in <paramref name="switches"/> as an index into the input plane
    /// (y * InW + x): the first of equal maxima, the last NaN where there is one (NaN is the output), as PyTorch's.
    /// </summary>
    public abstract void AdaptiveMaxPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int> switches);

    /// <summary>Each input position gets the sum of the dy whose switch is that position (windows may overlap).</summary>
    public abstract void AdaptiveMaxPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate);
}
