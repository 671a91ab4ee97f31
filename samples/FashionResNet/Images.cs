using System;
using Strider.Data;

namespace Strider.Samples.FashionResNet;

internal static class Images
{
    /// <summary>The 28x28 images centred in 32x32 with a zero border of 2, as the CIFAR ResNet expects.</summary>
    public static Dataset PadTo32(Dataset data)
    {
        const int From = 28, To = 32, Border = (To - From) / 2;
        var padded = new float[(long)data.Count * To * To];
        for (int i = 0; i < data.Count; i++)
        {
            var source = data.Inputs.AsSpan(i * From * From, From * From);
            var target = padded.AsSpan(i * To * To, To * To);
            for (int y = 0; y < From; y++) source.Slice(y * From, From).CopyTo(target.Slice((y + Border) * To + Border, From));
        }
        return new Dataset(padded, To * To, data.Labels!, data.LabelsPerItem);
    }
}
