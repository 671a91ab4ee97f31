using Strider.Devices;
using Strider.Runtime.Tests.Reference;

namespace Strider.Runtime.Tests.Onnx;

/// <summary>A host NCHW tensor for the plain reference loops (1-D layers use H = 1).</summary>
internal sealed record Nchw(float[] Data, int N, int C, int H, int W)
{
    public static Nchw Random(int seed, int n, int c, int h, int w, float lo = -1, float hi = 1) =>
        new(Values(seed, n * c * h * w, lo, hi), n, c, h, w);

    public static float[] Values(int seed, int count, float lo = -1, float hi = 1)
    {
        var random = new System.Random(seed);
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = lo + (hi - lo) * (float)random.NextDouble();
        return v;
    }

    public float this[int n, int c, int y, int x] => Data[((n * C + c) * H + y) * W + x];

    public int Index(int n, int c, int y, int x) => ((n * C + c) * H + y) * W + x;

    public long[] Dims => new long[] { N, C, H, W };
}

/// <summary>
/// What ONNX Runtime must compute from an exported graph, on host NCHW tensors: ONNX's arguments turned into Strider's
/// geometry (Devices/Geometry.cs) and run through the shared plain loops of <see cref="ReferenceOps"/>, independent of
/// the export and of the devices.
/// </summary>
internal static class Reference
{
    /// <summary>out = floor((in + pb + pe - d(k-1) - 1) / s) + 1, or ceil when <paramref name="ceil"/> (a last window must start inside input or begin padding).</summary>
    public static int OutSize(int size, int k, int s, int pb, int pe, int d, bool ceil = false)
    {
        int span = size + pb + pe - d * (k - 1) - 1;
        int o = (ceil ? (span + s - 1) / s : span / s) + 1;
        if (ceil && (o - 1) * s >= size + pb) o--;
        return o;
    }

    public static Nchw Conv(Nchw x, float[] w, int o, int kh, int kw, float[]? bias, int sh = 1, int sw = 1,
        int pt = 0, int pl = 0, int pb = 0, int pr = 0, int dh = 1, int dw = 1)
    {
        var g = new ConvGeometry(x.C, x.H, x.W, o, OutSize(x.H, kh, sh, pt, pb, dh), OutSize(x.W, kw, sw, pl, pr, dw), kh, kw, sh, sw, pt, pl, dh, dw);
        return new Nchw(ReferenceOps.ConvForward(g, x.N, x.Data, w, bias), x.N, o, g.OutH, g.OutW);
    }

    /// <summary>
    /// Each input value scatters through the kernel: weight [in, out, kh, kw]; out = s(in-1) + op + d(k-1) + 1 - pb - pe.
    /// That is the backward-data pass of the convolution from the output back to x (Geometry.cs).
    /// </summary>
    public static Nchw ConvTranspose(Nchw x, float[] w, int o, int kh, int kw, float[]? bias, int sh, int sw,
        int pt, int pl, int pb, int pr, int oph, int opw, int dh = 1, int dw = 1)
    {
        int oh = sh * (x.H - 1) + oph + dh * (kh - 1) + 1 - pt - pb, ow = sw * (x.W - 1) + opw + dw * (kw - 1) + 1 - pl - pr;
        var g = new ConvGeometry(o, oh, ow, x.C, x.H, x.W, kh, kw, sh, sw, pt, pl, dh, dw);
        double[] y = ReferenceOps.ConvBackwardData(g, x.N, x.Data, w);
        var result = new float[y.Length];
        for (int i = 0; i < y.Length; i++) result[i] = (float)(y[i] + (bias?[(i / (oh * ow)) % o] ?? 0));
        return new Nchw(result, x.N, o, oh, ow);
    }

    /// <summary>Max (or in-bounds average) over each window; <paramref name="argmax"/> gets flat indices into x (first maximum wins).</summary>
    public static Nchw Pool(Nchw x, bool max, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr,
        int dh, int dw, bool ceil, out long[] argmax)
    {
        int oh = OutSize(x.H, kh, sh, pt, pb, dh, ceil), ow = OutSize(x.W, kw, sw, pl, pr, dw, ceil);
        var g = new PoolGeometry(x.C, x.H, x.W, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw);
        var (y, switches) = ReferenceOps.MaxPool(g, x.N, x.Data);
        int outPlane = oh * ow, inPlane = x.H * x.W;
        argmax = switches.Select((s, i) => s < 0 ? -1L : (long)i / outPlane * inPlane + s).ToArray();
        return new Nchw(max ? y : ReferenceOps.AvgPool(g, x.N, x.Data), x.N, x.C, oh, ow);
    }

    public static float[] Map(float[] x, System.Func<float, float> f) => x.Select(f).ToArray();

    /// <summary>Softmax (or log-softmax) over channels at every (n, y, x).</summary>
    public static Nchw Softmax(Nchw x, bool log) => x with { Data = ReferenceOps.Softmax(log, x.N, x.C, x.H * x.W, x.Data) };

    public static Nchw BatchNorm(Nchw x, float[] gamma, float[] beta, float[] mean, float[] variance, double eps) =>
        x with { Data = ReferenceOps.BatchNormInference(x.N, x.C, x.H * x.W, x.Data, gamma, beta, mean, variance, eps) };

    /// <summary>y[r, o] = sum_i x[r, i] w[o, i] + b[o].</summary>
    public static float[] Dense(float[] x, int rows, int inFeatures, float[] w, int outFeatures, float[]? bias) =>
        ReferenceOps.DenseForward(rows, inFeatures, outFeatures, x, w, bias);

    /// <summary>Copies x into a zero tensor of the given size at (y0, x0): Pad, and Crop with negative offsets.</summary>
    public static Nchw Place(Nchw x, int h, int w, int y0, int x0)
    {
        var y = new float[x.N * x.C * h * w];
        for (int n = 0; n < x.N; n++)
        for (int c = 0; c < x.C; c++)
        for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++)
        {
            int iy = yy - y0, ix = xx - x0;
            if (iy >= 0 && iy < x.H && ix >= 0 && ix < x.W) y[((n * x.C + c) * h + yy) * w + xx] = x[n, c, iy, ix];
        }
        return new Nchw(y, x.N, x.C, h, w);
    }

    public static Nchw Add(Nchw a, Nchw b) => a with { Data = a.Data.Zip(b.Data, (p, q) => p + q).ToArray() };

    public static Nchw Concat(Nchw a, Nchw b)
    {
        int inner = a.H * a.W;
        var y = new float[a.N * (a.C + b.C) * inner];
        for (int n = 0; n < a.N; n++)
        {
            System.Array.Copy(a.Data, n * a.C * inner, y, n * (a.C + b.C) * inner, a.C * inner);
            System.Array.Copy(b.Data, n * b.C * inner, y, (n * (a.C + b.C) + a.C) * inner, b.C * inner);
        }
        return new Nchw(y, a.N, a.C + b.C, a.H, a.W);
    }
}
