namespace Strider.Devices.Activations;

/// <summary>
/// PyTorch's hardtanh: x clamped to [p0, p1] (p1 wins where p0 &gt; p1; NaN and -0 kept, as the compares leave them).
/// The gradient is hardtanh_backward's: dy strictly inside (p0, p1), 0 elsewhere (at the bounds too, and at NaN as
/// PyTorch's vectorised CPU kernel; its scalar tail and CUDA kernel pass dy there).
/// </summary>
internal readonly struct HardTanh : IActivation
{
    public float Forward(float x, float p0, float p1)
    {
        float v = x < p0 && !FloatBits.IsNaN(x) ? p0 : x;
        return v > p1 && !FloatBits.IsNaN(v) ? p1 : v;
    }

    public float Backward(float x, float y, float dy, float p0, float p1) => x > p0 && x < p1 && !FloatBits.IsNaN(x) ? dy : 0f;
}
