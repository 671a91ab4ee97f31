using Strider.Generator.Model;
using Strider.Shapes;

namespace Strider.Generator.Layers;

/// <summary>
/// The trailing comment on each conv call of the generated code naming the kernel the CPU device runs for that
/// geometry: <see cref="ConvolutionAlgorithm"/> is one source compiled into the generator and the runtime, and the CPU
/// device dispatches on the same rules, so the comment says what runs. Sizes that depend on a free input size leave
/// the choice to run time, and the comment says so.
/// </summary>
internal static class ConvKernels
{
    /// <summary>The comment for a <c>ConvForward</c> of the convolution from <paramref name="convIn"/> to <paramref name="convOut"/> with <paramref name="layer"/>'s window.</summary>
    public static string Forward(NodePlan convIn, NodePlan convOut, NodePlan layer) => Comment(convIn, convOut, layer, backwardData: false);

    /// <summary>The comment for a <c>ConvBackwardData</c> of that convolution (a Conv's input gradient, a Deconv's forward).</summary>
    public static string BackwardData(NodePlan convIn, NodePlan convOut, NodePlan layer) => Comment(convIn, convOut, layer, backwardData: true);

    private static string Comment(NodePlan convIn, NodePlan convOut, NodePlan layer, bool backwardData)
    {
        var d = (WindowDetail)layer.Detail;
        var (ci, hi, wi) = convIn.Chw;
        var (co, ho, wo) = convOut.Chw;
        if (!(ci.IsFixed && hi.IsFixed && wi.IsFixed && co.IsFixed && ho.IsFixed && wo.IsFixed))
            return " // kernel: chosen at run time from the input size (ConvolutionAlgorithm)";
        var kernel = backwardData
            ? ConvolutionAlgorithm.BackwardData((int)ci.U, (int)hi.U, (int)wi.U, (int)co.U, (int)ho.U, (int)wo.U, d.H.Kernel, d.W.Kernel,
                d.H.Stride, d.W.Stride, d.H.PadBegin, d.W.PadBegin, d.H.Dilation, d.W.Dilation, d.Groups)
            : ConvolutionAlgorithm.Forward((int)ci.U, (int)hi.U, (int)wi.U, (int)co.U, (int)ho.U, (int)wo.U, d.H.Kernel, d.W.Kernel,
                d.H.Stride, d.W.Stride, d.H.PadBegin, d.W.PadBegin, d.H.Dilation, d.W.Dilation, d.Groups);
        if (kernel == ConvKernel.FlippedForward)
            return " // kernel: " + ConvolutionAlgorithm.DescribeFlipped(ConvolutionAlgorithm.FlippedForwardKernel((int)ci.U, (int)hi.U, (int)wi.U,
                (int)co.U, (int)ho.U, (int)wo.U, d.H.Kernel, d.W.Kernel, d.H.PadBegin, d.W.PadBegin, d.H.Dilation, d.W.Dilation));
        // At batch 1 a strided col2im into one or two dx channels runs by bands of dY rows (the runtime checks the batch).
        if (kernel == ConvKernel.GemmCol2im && ConvolutionAlgorithm.ColumnBandsApply((long)ci.U, (int)ho.U, (int)wo.U, d.W.Stride))
            return " // kernel: " + ConvolutionAlgorithm.Describe(kernel) + "; at batch 1 over bands of dY rows (one or two dx planes)";
        return " // kernel: " + ConvolutionAlgorithm.Describe(kernel);
    }
}
