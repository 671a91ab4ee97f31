using System;

namespace Strider.Devices;

// Convolution and the dense layer: the GEMM-shaped ops (transposed convolution is backward-data with roles swapped), and
// the bias add and its gradient they share.
public abstract partial class Device
{
    /// <summary>y = conv(x, w) + bias. Overwrites y.</summary>
    public abstract void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y);

    /// <summary>dx = conv-transpose(dy, w), the input gradient.</summary>
    public abstract void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>dw += correlation of x with dy; dbias += sum of dy per output channel (when given).</summary>
    public abstract void ConvBackwardWeights(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias);

    /// <summary>y[b, c, i] += bias[c] over [n, channels, inner].</summary>
    public abstract void AddBias(int n, int channels, int inner, DeviceBuffer<float> bias, DeviceBuffer<float> y);

    /// <summary>dbias[c] += sum over b, i of dy[b, c, i].</summary>
    public abstract void BiasBackward(int n, int channels, int inner, DeviceBuffer<float> dy, DeviceBuffer<float> dbias);

    /// <summary>y[r, o] = sum_i x[r, i] w[o, i] + bias[o] for <paramref name="rows"/> rows.</summary>
    public abstract void DenseForward(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y);

    public abstract void DenseBackwardData(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>dw[o, i] += sum_r dy[r, o] x[r, i]; dbias[o] += sum_r dy[r, o].</summary>
    public abstract void DenseBackwardWeights(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias);
}
