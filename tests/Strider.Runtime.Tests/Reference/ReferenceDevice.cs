using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Runtime.Tests.Reference;

/// <summary>
/// The op set written as plainly as possible: scalar loops over the definitions in Device.cs, double accumulation (the
/// convolution, pooling, dense, softmax and inference batch-norm loops are <see cref="ReferenceOps"/>, shared with the ILGPU and ONNX tests).
/// Every other device is tested against this one, and this one is tested against finite differences.
/// </summary>
public sealed class ReferenceDevice : Device
{
    public override string Name => "reference";

    public override DeviceBuffer<T> Allocate<T>(long length) => new HostBuffer<T>(this, length);

    public override void Dispose() { }

    private static float[] A(DeviceBuffer<float> b) => ((HostBuffer<float>)b).Array;
    private static int[] A(DeviceBuffer<int> b) => ((HostBuffer<int>)b).Array;

    private static void Store(float[] dst, long i, double value, bool accumulate) =>
        dst[i] = accumulate ? (float)(dst[i] + value) : (float)value;

    /// <summary>Writes (or adds) exact sums from <see cref="ReferenceOps"/>, rounding once.</summary>
    private static void Store(float[] dst, double[] values, bool accumulate)
    {
        for (long i = 0; i < values.Length; i++) Store(dst, i, values[i], accumulate);
    }

    private static void Set(float[] dst, float[] values) => Array.Copy(values, dst, values.Length);

    // ---- memory ----

    public override void Fill(DeviceBuffer<float> buffer, long offset, long count, float value)
    {
        var a = A(buffer);
        for (long i = 0; i < count; i++) a[offset + i] = value;
    }

    public override void Copy(DeviceBuffer<float> src, long srcOffset, DeviceBuffer<float> dst, long dstOffset, long count, bool accumulate)
    {
        var s = A(src); var d = A(dst);
        var tmp = new float[count];
        for (long i = 0; i < count; i++) tmp[i] = s[srcOffset + i];
        for (long i = 0; i < count; i++) Store(d, dstOffset + i, tmp[i], accumulate);
    }

    public override void Add(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y)
    {
        var x1 = A(a); var x2 = A(b); var o = A(y);
        for (long i = 0; i < count; i++) o[i] = x1[i] + x2[i];
    }

    public override void CopyBox(in BoxCopy g, int n, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate)
    {
        var s = A(src); var d = A(dst);
        for (int b = 0; b < n; b++)
            for (int c = 0; c < g.BoxChannels; c++)
                for (int y = 0; y < g.BoxH; y++)
                    for (int x = 0; x < g.BoxW; x++)
                    {
                        long si = (((long)b * g.SrcChannels + g.SrcC0 + c) * g.SrcH + g.SrcY0 + y) * g.SrcW + g.SrcX0 + x;
                        long di = (((long)b * g.DstChannels + g.DstC0 + c) * g.DstH + g.DstY0 + y) * g.DstW + g.DstX0 + x;
                        Store(d, di, s[si], accumulate);
                    }
    }

    public override void Permute(in PermuteGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, bool accumulate)
    {
        var s = A(x); var d = A(y);
        int[] dims = [g.D0, g.D1, g.D2, g.D3];
        int[] perm = [g.P0, g.P1, g.P2, g.P3];
        int[] outDims = [dims[perm[0]], dims[perm[1]], dims[perm[2]], dims[perm[3]]];
        var i = new int[4];
        for (int b = 0; b < n; b++)
            for (i[0] = 0; i[0] < dims[0]; i[0]++)
                for (i[1] = 0; i[1] < dims[1]; i[1]++)
                    for (i[2] = 0; i[2] < dims[2]; i[2]++)
                        for (i[3] = 0; i[3] < dims[3]; i[3]++)
                        {
                            long si = b * g.Size + ((i[0] * (long)dims[1] + i[1]) * dims[2] + i[2]) * dims[3] + i[3];
                            long di = b * g.Size + ((i[perm[0]] * (long)outDims[1] + i[perm[1]]) * outDims[2] + i[perm[2]]) * outDims[3] + i[perm[3]];
                            Store(d, di, s[si], accumulate);
                        }
    }

    // ---- convolution ----

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

    // ---- pooling ----

    public override void MaxPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int>? switches)
    {
        var (values, positions) = ReferenceOps.MaxPool(g, n, A(x));
        Set(A(y), values);
        if (switches is not null) Array.Copy(positions, A(switches), positions.Length);
    }

    public override void MaxPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate) =>
        Store(A(dx), ReferenceOps.Scatter(g, n, A(dy), A(switches)), accumulate);

    public override void AvgPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y) =>
        Set(A(y), ReferenceOps.AvgPool(g, n, A(x)));

    public override void AvgPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate) =>
        Store(A(dx), ReferenceOps.AvgPoolBackward(g, n, A(dy)), accumulate);

    public override void MaxUnpoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<int> switches, DeviceBuffer<float> y) =>
        Store(A(y), ReferenceOps.Scatter(g, n, A(x), A(switches)), accumulate: false);

    public override void MaxUnpoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate)
    {
        var DY = A(dy); var S = A(switches); var DX = A(dx);
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        for (int p = 0; p < n * g.Channels; p++)
            for (int o = 0; o < outPlane; o++)
            {
                int s = S[(long)p * outPlane + o];
                double v = s >= 0 ? DY[(long)p * inPlane + s] : 0;
                Store(DX, (long)p * outPlane + o, v, accumulate);
            }
    }

    // ---- dense ----

    public override void DenseForward(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y) =>
        Set(A(y), ReferenceOps.DenseForward(rows, inFeatures, outFeatures, A(x), A(w), bias is null ? null : A(bias)));

    public override void DenseBackwardData(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate) =>
        Store(A(dx), ReferenceOps.DenseBackwardData(rows, inFeatures, outFeatures, A(dy), A(w)), accumulate);

    public override void DenseBackwardWeights(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        Store(A(dw), ReferenceOps.DenseBackwardWeights(rows, inFeatures, outFeatures, A(x), A(dy)), accumulate: true);
        if (dbias is not null) BiasBackward(rows, outFeatures, 1, dy, dbias);
    }

    // ---- elementwise ----

    /// <summary>f(x) in double; NaN propagates as in PyTorch (Relu(NaN) = NaN, Clip(NaN) = NaN).</summary>
    public static double Apply(Activation f, double x, double p0, double p1) => f switch
    {
        Activation.Relu => x < 0 ? 0 : x,
        Activation.Elu => x <= 0 ? p0 * (Math.Exp(x) - 1) : x,
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.Tanh => Math.Tanh(x),
        Activation.SoftSign => x / (1 + Math.Abs(x)),
        Activation.Clip => Math.Min(Math.Max(x, p0), p1),
        Activation.Log => Math.Log(x),
        Activation.Exp => Math.Exp(x),
        Activation.LeakyRelu => x > 0 ? x : p0 * x,
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "Unknown activation."),
    };

    /// <summary>f'(x) in double; at NaN, Relu's and Elu's pass the gradient (PyTorch's threshold and elu backward stop it only where x &lt;= 0) and LeakyRelu's scales it by the slope, Clip's is 0 (clamp's backward).</summary>
    public static double Derivative(Activation f, double x, double p0, double p1) => f switch
    {
        Activation.Relu => x <= 0 ? 0 : 1,
        Activation.Elu => x <= 0 ? p0 * Math.Exp(x) : 1,
        Activation.Sigmoid => Apply(f, x, p0, p1) * (1 - Apply(f, x, p0, p1)),
        Activation.Tanh => 1 - Math.Tanh(x) * Math.Tanh(x),
        Activation.SoftSign => 1 / ((1 + Math.Abs(x)) * (1 + Math.Abs(x))),
        Activation.Clip => x > p0 && x < p1 ? 1 : 0,
        Activation.Log => 1 / x,
        Activation.Exp => Math.Exp(x),
        Activation.LeakyRelu => x > 0 ? 1 : p0,
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "Unknown activation."),
    };

    public override void ActivationForward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, float p0 = 0, float p1 = 0)
    {
        var X = A(x); var Y = A(y);
        for (long i = 0; i < count; i++) Y[i] = (float)Apply(f, X[i], p0, p1);
    }

    public override void ActivationBackward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate, float p0 = 0, float p1 = 0)
    {
        var X = A(x); var DY = A(dy); var DX = A(dx);
        for (long i = 0; i < count; i++) Store(DX, i, Derivative(f, X[i], p0, p1) * DY[i], accumulate);
    }

    // ---- softmax ----

    public override void SoftmaxForward(bool log, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y) =>
        Set(A(y), ReferenceOps.Softmax(log, n, channels, inner, A(x)));

    public override void SoftmaxBackward(bool log, int n, int channels, int inner, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        var Y = A(y); var DY = A(dy); var DX = A(dx);
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                // softmax: dx = y (dy - sum(dy y)); log-softmax: dx = dy - exp(y) sum(dy).
                double dot = 0;
                for (int c = 0; c < channels; c++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    dot += log ? DY[j] : (double)DY[j] * Y[j];
                }
                for (int c = 0; c < channels; c++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    double v = log ? DY[j] - Math.Exp(Y[j]) * dot : Y[j] * (DY[j] - dot);
                    Store(DX, j, v, accumulate);
                }
            }
    }

    // ---- batch normalisation ----

    public override void BatchNormForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        var X = A(x); var G = A(gamma); var B = A(beta); var RM = A(runningMean); var RV = A(runningVar);
        var Y = A(y); var SM = A(savedMean); var SI = A(savedInvStd);
        long m = (long)n * inner;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++) sum += X[((long)b * channels + c) * inner + i];
            double mean = sum / m;
            double sq = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++)
                {
                    double d = X[((long)b * channels + c) * inner + i] - mean;
                    sq += d * d;
                }
            double variance = sq / m;
            double invStd = 1 / Math.Sqrt(variance + epsilon);
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    Y[j] = (float)(G[c] * (X[j] - mean) * invStd + B[c]);
                }
            SM[c] = (float)mean;
            SI[c] = (float)invStd;
            double unbiased = m > 1 ? sq / (m - 1) : variance;
            RM[c] = (float)((1 - momentum) * RM[c] + momentum * mean);
            RV[c] = (float)((1 - momentum) * RV[c] + momentum * unbiased);
        }
    }

    public override void BatchNormForwardInference(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> y) =>
        Set(A(y), ReferenceOps.BatchNormInference(n, channels, inner, A(x), A(gamma), A(beta), A(runningMean), A(runningVar), epsilon));

    public override void BatchNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate)
    {
        var X = A(x); var DY = A(dy); var G = A(gamma); var SM = A(savedMean); var SI = A(savedInvStd);
        var DX = A(dx); var DG = A(dgamma); var DB = A(dbeta);
        long m = (long)n * inner;
        for (int c = 0; c < channels; c++)
        {
            double sumDy = 0, sumDyXhat = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    sumDy += DY[j];
                    sumDyXhat += DY[j] * (X[j] - (double)SM[c]) * SI[c];
                }
            // dx = gamma invStd / m (m dy - sum(dy) - xhat sum(dy xhat))
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    double xhat = (X[j] - (double)SM[c]) * SI[c];
                    Store(DX, j, G[c] * (double)SI[c] / m * (m * (double)DY[j] - sumDy - xhat * sumDyXhat), accumulate);
                }
            Store(DG, c, sumDyXhat, accumulate: true);
            Store(DB, c, sumDy, accumulate: true);
        }
    }

    // ---- dropout ----

    public override void DropoutForward(long count, float rate, ulong seed, DeviceBuffer<float> x, DeviceBuffer<float> mask, DeviceBuffer<float> y)
    {
        var X = A(x); var M = A(mask); var Y = A(y);
        for (long i = 0; i < count; i++)
        {
            M[i] = DropoutMask.Value(seed, i, rate);
            Y[i] = X[i] * M[i];
        }
    }

    public override void Multiply(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y, bool accumulate)
    {
        var X1 = A(a); var X2 = A(b); var Y = A(y);
        for (long i = 0; i < count; i++) Store(Y, i, (double)X1[i] * X2[i], accumulate);
    }

    // ---- losses ----

    private static int CountLabels(int n, int classes, int inner, int[] labels)
    {
        int count = 0;
        for (long i = 0; i < (long)n * inner; i++)
        {
            if (labels[i] == -1) continue;
            if (labels[i] < 0 || labels[i] >= classes)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label at {i} must be in [0, {classes}) or -1 (ignored).");
            count++;
        }
        return count;
    }

    public override float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, DeviceBuffer<float> dlogits)
    {
        var X = A(logits); var L = A(labels); var D = A(dlogits);
        int count = CountLabels(n, classes, inner, L);
        double loss = 0;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                int label = L[(long)b * inner + i];
                double max = double.NegativeInfinity;
                for (int c = 0; c < classes; c++) max = Math.Max(max, X[((long)b * classes + c) * inner + i]);
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += Math.Exp(X[((long)b * classes + c) * inner + i] - max);
                if (label >= 0) loss += max + Math.Log(sum) - X[((long)b * classes + label) * inner + i];
                for (int c = 0; c < classes; c++)
                {
                    long j = ((long)b * classes + c) * inner + i;
                    D[j] = label < 0 ? 0f : (float)((Math.Exp(X[j] - max) / sum - (c == label ? 1 : 0)) / count);
                }
            }
        return count == 0 ? 0f : (float)(loss / count);
    }

    public override float CrossEntropyFromProbabilities(int n, int classes, int inner, DeviceBuffer<float> probabilities, DeviceBuffer<int> labels, DeviceBuffer<float> dprobabilities)
    {
        var P = A(probabilities); var L = A(labels); var D = A(dprobabilities);
        int count = CountLabels(n, classes, inner, L);
        double loss = 0;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                int label = L[(long)b * inner + i];
                for (int c = 0; c < classes; c++)
                {
                    long j = ((long)b * classes + c) * inner + i;
                    D[j] = c == label ? (float)(-1.0 / (count * (double)P[j])) : 0f;
                    if (c == label) loss -= Math.Log(P[j]);
                }
            }
        return count == 0 ? 0f : (float)(loss / count);
    }

    public override float MeanSquaredError(long count, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction)
    {
        var P = A(prediction); var T = A(target); var D = A(dprediction);
        double sum = 0;
        for (long i = 0; i < count; i++)
        {
            double d = (double)P[i] - T[i];
            sum += d * d;
            D[i] = (float)(2 * d / count);
        }
        return count == 0 ? 0f : (float)(sum / count);
    }

    // ---- optimizers ----

    public override void SgdStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> velocity, float learningRate, float momentum, float weightDecay)
    {
        var P = A(parameter); var G = A(gradient); var V = A(velocity);
        for (long i = 0; i < count; i++)
        {
            double g = G[i] + (double)weightDecay * P[i];
            V[i] = (float)(momentum * (double)V[i] + g);
            P[i] = (float)(P[i] - (double)learningRate * V[i]);
        }
    }

    public override void AdamStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> m, DeviceBuffer<float> v,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step)
    {
        var P = A(parameter); var G = A(gradient); var M = A(m); var V = A(v);
        double c1 = 1 - Math.Pow(beta1, step), c2 = 1 - Math.Pow(beta2, step);
        for (long i = 0; i < count; i++)
        {
            double g = G[i] + (double)weightDecay * P[i];
            M[i] = (float)(beta1 * (double)M[i] + (1 - (double)beta1) * g);
            V[i] = (float)(beta2 * (double)V[i] + (1 - (double)beta2) * g * g);
            P[i] = (float)(P[i] - learningRate * (M[i] / c1) / (Math.Sqrt(V[i] / c2) + epsilon));
        }
    }
}
