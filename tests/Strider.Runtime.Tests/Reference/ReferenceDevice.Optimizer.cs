using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Runtime.Tests.Reference;

// The optimizer steps.
public sealed partial class ReferenceDevice
{
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
