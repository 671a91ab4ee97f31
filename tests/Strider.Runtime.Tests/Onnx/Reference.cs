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
/// Plain loops on host arrays that state each op's meaning directly, independent of the export and of the devices: what
/// ONNX Runtime must compute from an exported graph. The window semantics are Strider's (ConvGeometry and PoolGeometry in
/// Devices/Geometry.cs).
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
        int oh = OutSize(x.H, kh, sh, pt, pb, dh), ow = OutSize(x.W, kw, sw, pl, pr, dw);
        var y = new float[x.N * o * oh * ow];
        for (int n = 0; n < x.N; n++)
        for (int co = 0; co < o; co++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            double sum = bias?[co] ?? 0;
            for (int ci = 0; ci < x.C; ci++)
            for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
            {
                int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
                if (iy < 0 || iy >= x.H || ix < 0 || ix >= x.W) continue;
                sum += x[n, ci, iy, ix] * w[((co * x.C + ci) * kh + ky) * kw + kx];
            }
            y[((n * o + co) * oh + oy) * ow + ox] = (float)sum;
        }
        return new Nchw(y, x.N, o, oh, ow);
    }

    /// <summary>Each input value scatters through the kernel: weight [in, out, kh, kw]; out = s(in-1) + op + d(k-1) + 1 - pb - pe.</summary>
    public static Nchw ConvTranspose(Nchw x, float[] w, int o, int kh, int kw, float[]? bias, int sh, int sw,
        int pt, int pl, int pb, int pr, int oph, int opw, int dh = 1, int dw = 1)
    {
        int oh = sh * (x.H - 1) + oph + dh * (kh - 1) + 1 - pt - pb, ow = sw * (x.W - 1) + opw + dw * (kw - 1) + 1 - pl - pr;
        var y = new double[x.N * o * oh * ow];
        for (int n = 0; n < x.N; n++)
        for (int ci = 0; ci < x.C; ci++)
        for (int iy = 0; iy < x.H; iy++)
        for (int ix = 0; ix < x.W; ix++)
        for (int co = 0; co < o; co++)
        for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++)
        {
            int oy = iy * sh - pt + ky * dh, ox = ix * sw - pl + kx * dw;
            if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
            y[((n * o + co) * oh + oy) * ow + ox] += x[n, ci, iy, ix] * w[((ci * o + co) * kh + ky) * kw + kx];
        }
        var result = new float[y.Length];
        for (int i = 0; i < y.Length; i++) result[i] = (float)(y[i] + (bias?[(i / (oh * ow)) % o] ?? 0));
        return new Nchw(result, x.N, o, oh, ow);
    }

    /// <summary>Max (or in-bounds average) over each window; <paramref name="argmax"/> gets flat indices into x (first maximum wins).</summary>
    public static Nchw Pool(Nchw x, bool max, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr,
        int dh, int dw, bool ceil, out long[] argmax)
    {
        int oh = OutSize(x.H, kh, sh, pt, pb, dh, ceil), ow = OutSize(x.W, kw, sw, pl, pr, dw, ceil);
        var y = new float[x.N * x.C * oh * ow];
        argmax = new long[y.Length];
        for (int n = 0; n < x.N; n++)
        for (int c = 0; c < x.C; c++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            double sum = 0;
            float best = float.NegativeInfinity;
            int count = 0, bestIndex = -1;
            for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
            {
                int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
                if (iy < 0 || iy >= x.H || ix < 0 || ix >= x.W) continue;
                float v = x[n, c, iy, ix];
                sum += v;
                count++;
                if (v > best) { best = v; bestIndex = x.Index(n, c, iy, ix); }
            }
            int o = ((n * x.C + c) * oh + oy) * ow + ox;
            y[o] = max ? best : (float)(sum / count);
            argmax[o] = bestIndex;
        }
        return new Nchw(y, x.N, x.C, oh, ow);
    }

    public static float[] Map(float[] x, System.Func<float, float> f) => x.Select(f).ToArray();

    /// <summary>Softmax (or log-softmax) over channels at every (n, y, x).</summary>
    public static Nchw Softmax(Nchw x, bool log)
    {
        var y = new float[x.Data.Length];
        int inner = x.H * x.W;
        for (int n = 0; n < x.N; n++)
        for (int i = 0; i < inner; i++)
        {
            double m = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < x.C; c++) m = System.Math.Max(m, x.Data[(n * x.C + c) * inner + i]);
            for (int c = 0; c < x.C; c++) sum += System.Math.Exp(x.Data[(n * x.C + c) * inner + i] - m);
            for (int c = 0; c < x.C; c++)
            {
                double z = x.Data[(n * x.C + c) * inner + i] - m;
                y[(n * x.C + c) * inner + i] = (float)(log ? z - System.Math.Log(sum) : System.Math.Exp(z) / sum);
            }
        }
        return x with { Data = y };
    }

    public static Nchw BatchNorm(Nchw x, float[] gamma, float[] beta, float[] mean, float[] variance, double eps)
    {
        var y = new float[x.Data.Length];
        int inner = x.H * x.W;
        for (int i = 0; i < y.Length; i++)
        {
            int c = i / inner % x.C;
            y[i] = (float)((x.Data[i] - mean[c]) / System.Math.Sqrt(variance[c] + eps) * gamma[c] + beta[c]);
        }
        return x with { Data = y };
    }

    /// <summary>y[r, o] = sum_i x[r, i] w[o, i] + b[o].</summary>
    public static float[] Dense(float[] x, int rows, int inFeatures, float[] w, int outFeatures, float[]? bias)
    {
        var y = new float[rows * outFeatures];
        for (int r = 0; r < rows; r++)
        for (int o = 0; o < outFeatures; o++)
        {
            double sum = bias?[o] ?? 0;
            for (int i = 0; i < inFeatures; i++) sum += x[r * inFeatures + i] * w[o * inFeatures + i];
            y[r * outFeatures + o] = (float)sum;
        }
        return y;
    }

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
