using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Runtime.Tests.Reference;

// Elementwise ops: add, the activations, softmax, dropout and multiply.
public sealed partial class ReferenceDevice
{
    public override void Add(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y)
    {
        var x1 = A(a); var x2 = A(b); var o = A(y);
        for (long i = 0; i < count; i++) o[i] = x1[i] + x2[i];
    }

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
        _ => ReferenceActivations.Apply(f, x, p0, p1),
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
        _ => ReferenceActivations.Derivative(f, x, p0, p1),
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
}
