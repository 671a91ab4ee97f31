using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Runtime.Tests.Reference;

// Convolution, bias and dense layers (the loops are ReferenceOps').
public sealed partial class ReferenceDevice
{
    public override void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y) =>
        Set(A(y), ReferenceOps.ConvForward(g, n, A(x), A(w), bias is null ? null : A(bias)));

    public override void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate) =>
        Store(A(dx), ReferenceOps.ConvBackwardData(g, n, A(dy), A(w)), accumulate);

    public override void ConvBackwardWeights(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        Store(A(dw), ReferenceOps.ConvBackwardWeights(g, n, A(x), A(dy)), accumulate: true);
        if (dbias is not null) BiasBackward(n, g.OutChannels, g.OutH * g.OutW, dy, dbias);
    }

    public override void AddBias(int n, int channels, int inner, DeviceBuffer<float> bias, DeviceBuffer<float> y)
    {
        var B = A(bias); var Y = A(y);
        for (int b = 0; b < n; b++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < inner; i++) Y[((long)b * channels + c) * inner + i] += B[c];
    }

    public override void BiasBackward(int n, int channels, int inner, DeviceBuffer<float> dy, DeviceBuffer<float> dbias) =>
        Store(A(dbias), ReferenceOps.BiasBackward(n, channels, inner, A(dy)), accumulate: true);

    public override void DenseForward(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y) =>
        Set(A(y), ReferenceOps.DenseForward(rows, inFeatures, outFeatures, A(x), A(w), bias is null ? null : A(bias)));

    public override void DenseBackwardData(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate) =>
        Store(A(dx), ReferenceOps.DenseBackwardData(rows, inFeatures, outFeatures, A(dy), A(w)), accumulate);

    public override void DenseBackwardWeights(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        Store(A(dw), ReferenceOps.DenseBackwardWeights(rows, inFeatures, outFeatures, A(x), A(dy)), accumulate: true);
        if (dbias is not null) BiasBackward(rows, outFeatures, 1, dy, dbias);
    }
}
