namespace Strider.Devices.Activations;

/// <summary>
/// x above zero, slope · x elsewhere, slope = p0 (NaN stays NaN). The gradient is leaky_relu_backward's: dy above zero,
/// slope · dy elsewhere and at NaN.
/// </summary>
internal readonly struct LeakyRelu : IActivation
{
    public float Forward(float x, float p0, float p1) => x > 0f ? x : p0 * x;

    public float Backward(float x, float y, float dy, float p0, float p1) => x > 0f ? dy : p0 * dy;
}
