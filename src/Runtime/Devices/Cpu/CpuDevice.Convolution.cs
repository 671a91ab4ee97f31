using System;
using Strider.Shapes;

namespace Strider.Devices.Cpu;

// Convolutions, bias and dense layers, run by CpuConvolution and CpuDense.
public sealed unsafe partial class CpuDevice
{
    public override void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias,
        DeviceBuffer<float> y) => ConvForward(g, n, x, w, bias, y, default);

    /// <summary>
    /// The fused form: each conv kernel's work items apply the residual add and the activation to the rows they just
    /// wrote (<see cref="CpuEpilogue"/>): the depthwise kernel to each output plane it finishes, the grouped direct kernel in one
    /// pass over the output after the conv. Without an epilogue it is the plain forward.
    /// </summary>
    public override void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias,
        DeviceBuffer<float> y, in ConvEpilogue epilogue)
    {
        if (!epilogue.IsNone) epilogue.CheckAgainst(y, nameof(ConvForward));
        g.CheckGroups(nameof(ConvForward));
        using var lease = Rent();
        if (g.Groups != 1)
        {
            if (CpuDepthwiseConvolution.Applies(g)) CpuDepthwiseConvolution.Forward(lease.Workspace, g, n, x, w, bias, y, epilogue);
            else
            {
                CpuGroupedConvolution.Forward(lease.Workspace, g, n, x, w, bias, y);
                long count = n * g.OutputSize;
                if (!epilogue.IsNone) CpuEpilogue.Of(epilogue, CpuMath.P(y, count, nameof(y)), count).ApplyAll(lease.Workspace, count);
            }
            CpuConvolution.LastKernel = g.InPerGroup == 1 ? ConvKernel.DepthwiseDirect : ConvKernel.GroupedDirect;
        }
        else CpuConvolution.ConvForward(lease.Workspace, g, n, x, w, bias, y, epilogue);
    }

    /// <summary>
    /// The fused pass where ConvolutionAlgorithm.ExpandDepthwiseApplies (and the epilogues are none, Relu or Relu6 with no
    /// residual): the expanded planes stay in each worker's scratch and <paramref name="expanded"/> is not written;
    /// elsewhere the two ops, as the base composes them.
    /// </summary>
    public override void ConvForwardExpandDepthwise(in ConvGeometry expand, in ConvGeometry depthwise, int n, DeviceBuffer<float> x,
        DeviceBuffer<float> expandW, DeviceBuffer<float>? expandBias, in ConvEpilogue expandEpilogue,
        DeviceBuffer<float> depthwiseW, DeviceBuffer<float>? depthwiseBias, DeviceBuffer<float> expanded, DeviceBuffer<float> y, in ConvEpilogue depthwiseEpilogue)
    {
        CheckExpandDepthwise(expand, depthwise, expanded, y);
        expand.CheckGroups(nameof(ConvForwardExpandDepthwise));
        depthwise.CheckGroups(nameof(ConvForwardExpandDepthwise));
        if (!CpuDepthwiseConvolution.ExpandedApplies(expand, depthwise, expandEpilogue, depthwiseEpilogue))
        {
            base.ConvForwardExpandDepthwise(expand, depthwise, n, x, expandW, expandBias, expandEpilogue, depthwiseW, depthwiseBias, expanded, y, depthwiseEpilogue);
            return;
        }
        if (ReferenceEquals(x, y)) throw new ArgumentException("ConvForwardExpandDepthwise: the output buffer is the input buffer; the fused pass reads x while it writes y. Pass a different buffer.", nameof(y));
        CpuConvolution.CheckConv(expand, n);
        CpuConvolution.CheckConv(depthwise, n);
        using var lease = Rent();
        var conv = new CpuConvolution.ConvArgs { G = expand };
        // The expansion's weights in the pointwise tiles' 8-row panels, packed once per write of them (shared with ConvForward's).
        var packed = PackedConvWeights.Get(lease.Workspace, expandW, expand.OutChannels, expand.InChannels, &conv, PackedConvWeights.Layout.PointwisePanels);
        float* pdw = PackedConvWeights.ReadOnly(depthwiseW, depthwise.WeightSize, nameof(depthwiseW));
        float* pb = expandBias is null ? null : PackedConvWeights.ReadOnly(expandBias, expand.OutChannels, nameof(expandBias));
        float* pdb = depthwiseBias is null ? null : PackedConvWeights.ReadOnly(depthwiseBias, depthwise.OutChannels, nameof(depthwiseBias));
        CpuMath.P(expanded, n * expand.OutputSize, nameof(expanded));
        CpuDepthwiseConvolution.ForwardExpanded(lease.Workspace, expand, depthwise, n, CpuMath.P(x, n * expand.InputSize, nameof(x)), conv.PackedW, pb,
            expandEpilogue, pdw, pdb, CpuMath.P(y, n * depthwise.OutputSize, nameof(y)), depthwiseEpilogue);
        CpuConvolution.LastKernel = ConvKernel.ExpandDepthwise;
        GC.KeepAlive(packed);
    }

    public override void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx,
        bool accumulate)
    {
        g.CheckGroups(nameof(ConvBackwardData));
        using var lease = Rent();
        if (g.Groups != 1)
        {
            if (CpuDepthwiseConvolution.AppliesBackwardData(g)) CpuDepthwiseConvolution.BackwardData(lease.Workspace, g, n, dy, w, dx, accumulate);
            else if (CpuDepthwiseConvolution.AppliesBackwardDataStride2(g)) CpuDepthwiseConvolution.BackwardDataStride2(lease.Workspace, g, n, dy, w, dx, accumulate);
            else CpuGroupedConvolution.BackwardData(lease.Workspace, g, n, dy, w, dx, accumulate);
            CpuConvolution.LastKernel = g.InPerGroup == 1 ? ConvKernel.DepthwiseDirect : ConvKernel.GroupedDirect;
        }
        else CpuConvolution.ConvBackwardData(lease.Workspace, g, n, dy, w, dx, accumulate);
    }

    /// <summary>
    /// The fused transposed-conv forward: the stride-phase split adds the bias and applies the epilogue to each dx row as
    /// it interleaves the phases into it; the other kernels in one parallel pass over dx after the conv (one pass instead
    /// of the bias's, the add's and the activation's). Grouped convs compose the separate ops (the base's).
    /// </summary>
    public override void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float>? bias,
        DeviceBuffer<float> dx, in ConvEpilogue epilogue)
    {
        g.CheckGroups(nameof(ConvBackwardData));
        if (g.Groups != 1)
        {
            base.ConvBackwardData(g, n, dy, w, bias, dx, epilogue);
            return;
        }
        if (!epilogue.IsNone) epilogue.CheckAgainst(dx, nameof(ConvBackwardData));
        using var lease = Rent();
        CpuConvolution.ConvBackwardData(lease.Workspace, g, n, dy, w, dx, false, bias, epilogue);
    }

    public override void ConvBackwardWeights(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw,
        DeviceBuffer<float>? dbias)
    {
        g.CheckGroups(nameof(ConvBackwardWeights));
        using var lease = Rent();
        if (g.Groups != 1 && CpuDepthwiseConvolution.Applies(g)) CpuDepthwiseConvolution.BackwardWeights(lease.Workspace, g, n, x, dy, dw, dbias);
        else if (g.Groups != 1) CpuGroupedConvolution.BackwardWeights(lease.Workspace, g, n, x, dy, dw, dbias);
        else CpuConvolution.ConvBackwardWeights(lease.Workspace, g, n, x, dy, dw, dbias);
    }

    public override void AddBias(int n, int channels, int inner, DeviceBuffer<float> bias, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuElementwise.AddBias(lease.Workspace, n, channels, inner, bias, y);
    }

    public override void BiasBackward(int n, int channels, int inner, DeviceBuffer<float> dy, DeviceBuffer<float> dbias)
    {
        using var lease = Rent();
        CpuElementwise.BiasBackward(lease.Workspace, n, channels, inner, dy, dbias);
    }

    public override void DenseForward(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w,
        DeviceBuffer<float>? bias, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuDense.DenseForward(lease.Workspace, rows, inFeatures, outFeatures, x, w, bias, y);
    }

    public override void DenseBackwardData(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w,
        DeviceBuffer<float> dx, bool accumulate)
    {
        using var lease = Rent();
        CpuDense.DenseBackwardData(lease.Workspace, rows, inFeatures, outFeatures, dy, w, dx, accumulate);
    }

    public override void DenseBackwardWeights(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy,
        DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        using var lease = Rent();
        CpuDense.DenseBackwardWeights(lease.Workspace, rows, inFeatures, outFeatures, x, dy, dw, dbias);
    }
}
