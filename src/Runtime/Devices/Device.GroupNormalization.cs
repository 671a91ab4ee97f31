using System;

namespace Strider.Devices;

// Group and layer normalisation over [n, channels, inner] with per-channel affine parameters and no running statistics.
public abstract partial class Device
{
    /// <summary>
    /// PyTorch's group_norm: the channels split into <paramref name="groups"/> consecutive groups; each (image, group)
    /// is normalised by its own mean and biased variance, then y = xhat gamma[c] + beta[c] (gamma and beta may be null:
    /// no affine). Saves mean and 1/sqrt(var + eps) per (image, group), n groups values each, for backward.
    /// </summary>
    public abstract void GroupNormForward(int n, int channels, int inner, int groups, float epsilon, DeviceBuffer<float> x,
        DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd);

    /// <summary>dx (written or added), and dgamma/dbeta accumulated (skipped when null), from the forward's saved statistics.</summary>
    public abstract void GroupNormBackward(int n, int channels, int inner, int groups, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate);

    /// <summary>
    /// Layer normalisation over the channel axis at each (image, position), as ConvNeXt's LayerNorm2d (PyTorch's
    /// layer_norm on channels-last): y = xhat gamma[c] + beta[c] (null: no affine). Saves mean and 1/sqrt(var + eps)
    /// per (image, position), n inner values each.
    /// </summary>
    public abstract void LayerNormForward(int n, int channels, int inner, float epsilon, DeviceBuffer<float> x,
        DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd);

    /// <summary>dx (written or added), and dgamma/dbeta accumulated (skipped when null).</summary>
    public abstract void LayerNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate);

    /// <summary>Throws naming the op and the sizes unless <paramref name="groups"/> divides the channels and epsilon is not negative.</summary>
    internal static void CheckGroupNorm(string op, int n, int channels, int inner, int groups, float epsilon)
    {
        CheckChannelSizes(op, n, channels, inner);
        if (groups < 1 || channels % groups != 0)
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{op}: {groups} groups must be at least 1 and divide the {channels} channels.");
        if (!(epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"{op}: epsilon must be 0 or more.");
    }
}
