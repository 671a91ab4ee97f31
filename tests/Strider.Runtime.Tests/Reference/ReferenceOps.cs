using Strider.Devices;

namespace Strider.Runtime.Tests.Reference;

/// <summary>
/// The one set of plain reference loops on host arrays, written from the definitions in Device.cs and Geometry.cs with
/// double accumulation. <see cref="ReferenceDevice"/> runs on these, the ILGPU tests compare kernels with them and the
/// ONNX tests state what ONNX Runtime must compute from an exported graph with them. Passes that a device may
/// accumulate into its output return the exact sums in double, so the caller rounds once.
/// </summary>
internal static class ReferenceOps
{
    /// <summary>Rounds exact sums to what a float output holds.</summary>
    public static float[] ToSingle(double[] values) => Array.ConvertAll(values, v => (float)v);

    // ---- convolution ----

    /// <summary>The input row or column a tap reads: out * stride - pad + tap * dilation (may be outside the input).</summary>
    private static int Tap(int o, int stride, int pad, int k, int dilation) => o * stride - pad + k * dilation;

    public static float[] ConvForward(in ConvGeometry g, int n, float[] x, float[] w, float[]? bias)
    {
        var y = new float[n * g.OutputSize];
        for (int b = 0; b < n; b++)
            for (int k = 0; k < g.OutChannels; k++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        double sum = bias is null ? 0 : bias[k];
                        // Output channel k reads the input channels of its group; its weight row has InPerGroup planes.
                        int c0 = k / (g.OutChannels / g.Groups) * (g.InChannels / g.Groups);
                        for (int c = c0; c < c0 + g.InChannels / g.Groups; c++)
                            for (int r = 0; r < g.KernelH; r++)
                                for (int s = 0; s < g.KernelW; s++)
                                {
                                    int ih = Tap(oh, g.StrideH, g.PadTop, r, g.DilationH), iw = Tap(ow, g.StrideW, g.PadLeft, s, g.DilationW);
                                    if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW) continue;
                                    sum += (double)x[((b * g.InChannels + c) * g.InH + ih) * g.InW + iw] * w[((k * (g.InChannels / g.Groups) + c - c0) * g.KernelH + r) * g.KernelW + s];
                                }
                        y[((b * g.OutChannels + k) * g.OutH + oh) * g.OutW + ow] = (float)sum;
                    }
        return y;
    }

    /// <summary>dx, exact: each output gradient scattered through the kernel (also a transposed convolution's forward pass).</summary>
    public static double[] ConvBackwardData(in ConvGeometry g, int n, float[] dy, float[] w)
    {
        var sum = new double[n * g.InputSize];
        for (int b = 0; b < n; b++)
            for (int k = 0; k < g.OutChannels; k++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        double d = dy[((b * g.OutChannels + k) * g.OutH + oh) * g.OutW + ow];
                        int c0 = k / (g.OutChannels / g.Groups) * (g.InChannels / g.Groups);
                        for (int c = c0; c < c0 + g.InChannels / g.Groups; c++)
                            for (int r = 0; r < g.KernelH; r++)
                                for (int s = 0; s < g.KernelW; s++)
                                {
                                    int ih = Tap(oh, g.StrideH, g.PadTop, r, g.DilationH), iw = Tap(ow, g.StrideW, g.PadLeft, s, g.DilationW);
                                    if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW) continue;
                                    sum[((b * g.InChannels + c) * g.InH + ih) * g.InW + iw] += d * w[((k * (g.InChannels / g.Groups) + c - c0) * g.KernelH + r) * g.KernelW + s];
                                }
                    }
        return sum;
    }

    /// <summary>dw, exact, for one call (parameter gradients accumulate, so the caller adds it).</summary>
    public static double[] ConvBackwardWeights(in ConvGeometry g, int n, float[] x, float[] dy)
    {
        var dw = new double[g.WeightSize];
        for (int k = 0; k < g.OutChannels; k++)
            for (int c = k / (g.OutChannels / g.Groups) * (g.InChannels / g.Groups), c0 = c; c < c0 + g.InChannels / g.Groups; c++)
                for (int r = 0; r < g.KernelH; r++)
                    for (int s = 0; s < g.KernelW; s++)
                    {
                        double sum = 0;
                        for (int b = 0; b < n; b++)
                            for (int oh = 0; oh < g.OutH; oh++)
                                for (int ow = 0; ow < g.OutW; ow++)
                                {
                                    int ih = Tap(oh, g.StrideH, g.PadTop, r, g.DilationH), iw = Tap(ow, g.StrideW, g.PadLeft, s, g.DilationW);
                                    if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW) continue;
                                    sum += (double)x[((b * g.InChannels + c) * g.InH + ih) * g.InW + iw] * dy[((b * g.OutChannels + k) * g.OutH + oh) * g.OutW + ow];
                                }
                        dw[((k * (g.InChannels / g.Groups) + c % (g.InChannels / g.Groups)) * g.KernelH + r) * g.KernelW + s] = sum;
                    }
        return dw;
    }

    /// <summary>The per-channel sum of dy over batch and positions, exact.</summary>
    public static double[] BiasBackward(int n, int channels, int inner, float[] dy)
    {
        var db = new double[channels];
        for (int c = 0; c < channels; c++)
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++) db[c] += dy[((long)b * channels + c) * inner + i];
        return db;
    }

    // ---- pooling ----

    /// <summary>The in-bounds input positions (iy * InW + ix) of output window (oh, ow), in row-major window order.</summary>
    public static List<int> Window(in PoolGeometry g, int oh, int ow)
    {
        var list = new List<int>();
        for (int r = 0; r < g.KernelH; r++)
            for (int s = 0; s < g.KernelW; s++)
            {
                int ih = Tap(oh, g.StrideH, g.PadTop, r, g.DilationH), iw = Tap(ow, g.StrideW, g.PadLeft, s, g.DilationW);
                if (ih >= 0 && ih < g.InH && iw >= 0 && iw < g.InW) list.Add(ih * g.InW + iw);
            }
        return list;
    }

    /// <summary>Max pool and its switches (in-plane input positions); an empty window (all padding) gives 0 and switch -1.</summary>
    public static (float[] Y, int[] Switches) MaxPool(in PoolGeometry g, int n, float[] x)
    {
        var y = new float[n * g.OutputSize];
        var switches = new int[y.Length];
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        for (int p = 0; p < n * g.Channels; p++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    // PyTorch's rule: a value wins when greater (ties keep the first) or NaN (the last NaN wins).
                    int best = -1;
                    float max = 0;
                    foreach (int i in Window(g, oh, ow))
                    {
                        float v = x[(long)p * inPlane + i];
                        if (best < 0 || v > max || float.IsNaN(v)) { best = i; max = v; }
                    }
                    long o = (long)p * outPlane + oh * g.OutW + ow;
                    y[o] = max;
                    switches[o] = best;
                }
        return (y, switches);
    }

    /// <summary>Each pooled value added at its switch, exact: max-pool backward and max-unpool forward.</summary>
    public static double[] Scatter(in PoolGeometry g, int n, float[] src, int[] switches)
    {
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        var sum = new double[n * g.InputSize];
        for (int p = 0; p < n * g.Channels; p++)
            for (int o = 0; o < outPlane; o++)
            {
                int s = switches[(long)p * outPlane + o];
                if (s >= 0) sum[(long)p * inPlane + s] += src[(long)p * outPlane + o];
            }
        return sum;
    }

    /// <summary>The mean of each window's in-bounds values (0 for an empty window).</summary>
    public static float[] AvgPool(in PoolGeometry g, int n, float[] x)
    {
        var y = new float[n * g.OutputSize];
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        for (int p = 0; p < n * g.Channels; p++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    var window = Window(g, oh, ow);
                    double sum = 0;
                    foreach (int i in window) sum += x[(long)p * inPlane + i];
                    y[(long)p * outPlane + oh * g.OutW + ow] = window.Count == 0 ? 0f : (float)(sum / window.Count);
                }
        return y;
    }

    /// <summary>dx of average pooling, exact: each output gradient shared equally by its window's in-bounds taps.</summary>
    public static double[] AvgPoolBackward(in PoolGeometry g, int n, float[] dy)
    {
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        var sum = new double[n * g.InputSize];
        for (int p = 0; p < n * g.Channels; p++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    var window = Window(g, oh, ow);
                    foreach (int i in window) sum[(long)p * inPlane + i] += dy[(long)p * outPlane + oh * g.OutW + ow] / (double)window.Count;
                }
        return sum;
    }

    // ---- dense, softmax, batch normalisation ----

    /// <summary>y[r, o] = sum_i x[r, i] w[o, i] + b[o].</summary>
    public static float[] DenseForward(int rows, int inFeatures, int outFeatures, float[] x, float[] w, float[]? bias)
    {
        var y = new float[(long)rows * outFeatures];
        for (long r = 0; r < rows; r++)
            for (int o = 0; o < outFeatures; o++)
            {
                double sum = bias is null ? 0 : bias[o];
                for (int i = 0; i < inFeatures; i++) sum += (double)x[r * inFeatures + i] * w[(long)o * inFeatures + i];
                y[r * outFeatures + o] = (float)sum;
            }
        return y;
    }

    /// <summary>dx[r, i] = sum_o dy[r, o] w[o, i], exact.</summary>
    public static double[] DenseBackwardData(int rows, int inFeatures, int outFeatures, float[] dy, float[] w)
    {
        var dx = new double[(long)rows * inFeatures];
        for (long r = 0; r < rows; r++)
            for (int i = 0; i < inFeatures; i++)
                for (int o = 0; o < outFeatures; o++) dx[r * inFeatures + i] += (double)dy[r * outFeatures + o] * w[(long)o * inFeatures + i];
        return dx;
    }

    /// <summary>dw[o, i] = sum_r dy[r, o] x[r, i], exact, for one call (parameter gradients accumulate).</summary>
    public static double[] DenseBackwardWeights(int rows, int inFeatures, int outFeatures, float[] x, float[] dy)
    {
        var dw = new double[(long)outFeatures * inFeatures];
        for (int o = 0; o < outFeatures; o++)
            for (int i = 0; i < inFeatures; i++)
                for (long r = 0; r < rows; r++) dw[(long)o * inFeatures + i] += (double)dy[r * outFeatures + o] * x[r * inFeatures + i];
        return dw;
    }

    /// <summary>Softmax (or log-softmax) over channels at every (n, position).</summary>
    public static float[] Softmax(bool log, int n, int channels, int inner, float[] x)
    {
        var y = new float[(long)n * channels * inner];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                double max = double.NegativeInfinity;
                for (int c = 0; c < channels; c++) max = Math.Max(max, x[((long)b * channels + c) * inner + i]);
                double sum = 0;
                for (int c = 0; c < channels; c++) sum += Math.Exp(x[((long)b * channels + c) * inner + i] - max);
                for (int c = 0; c < channels; c++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    y[j] = log ? (float)(x[j] - max - Math.Log(sum)) : (float)(Math.Exp(x[j] - max) / sum);
                }
            }
        return y;
    }

    /// <summary>Inference batch normalisation: gamma (x - mean) / sqrt(variance + epsilon) + beta per channel.</summary>
    public static float[] BatchNormInference(int n, int channels, int inner, float[] x, float[] gamma, float[] beta,
        float[] mean, float[] variance, double epsilon)
    {
        var y = new float[(long)n * channels * inner];
        for (int b = 0; b < n; b++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < inner; i++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    y[j] = (float)(gamma[c] * (x[j] - mean[c]) / Math.Sqrt(variance[c] + epsilon) + beta[c]);
                }
        return y;
    }
}
