using System;
using System.Collections.Generic;
using Strider.Devices;

namespace Strider.Samples.Zoo;

/// <summary>The zoo's networks by torchvision's function names, for the console program and the tests.</summary>
public static class Models
{
    /// <summary>
    /// One declared model: its torchvision name, the 224x224 declaration's Summary and parameter count, and a constructor
    /// of its 64x64 twin (32x32 for vgg11_bn; the same layers, names and parameters) that the tests run; null for the
    /// models declared at one size only (their parameter counts and Summaries are checked, their outputs not yet).
    /// </summary>
    public sealed record Entry(string Name, string Summary, long ParameterCount, Func<Device, int, INetwork>? CreateAt64);

    /// <summary>Every declared model, in the order the program prints them.</summary>
    public static IReadOnlyList<Entry> All { get; } =
    [
        new("resnet18", ResNet18.Summary, ResNet18.ParameterCount, (device, seed) => new ResNet18At64(device, seed)),
        new("resnet50", ResNet50.Summary, ResNet50.ParameterCount, (device, seed) => new ResNet50At64(device, seed)),
        new("mobilenet_v2", MobileNetV2.Summary, MobileNetV2.ParameterCount, (device, seed) => new MobileNetV2At64(device, seed)),
        new("squeezenet1_1", SqueezeNet11.Summary, SqueezeNet11.ParameterCount, (device, seed) => new SqueezeNet11At64(device, seed)),
        new("vgg11_bn", Vgg11Bn.Summary, Vgg11Bn.ParameterCount, (device, seed) => new Vgg11BnAt32(device, seed)),
        new("shufflenet_v2_x1_0", ShuffleNetV2.Summary, ShuffleNetV2.ParameterCount, (device, seed) => new ShuffleNetV2At64(device, seed)),
        new("mobilenet_v3_small", MobileNetV3Small.Summary, MobileNetV3Small.ParameterCount, (device, seed) => new MobileNetV3SmallAt64(device, seed)),
        new("efficientnet_b0", EfficientNetB0.Summary, EfficientNetB0.ParameterCount, (device, seed) => new EfficientNetB0At64(device, seed)),
        new("densenet121", DenseNet121.Summary, DenseNet121.ParameterCount, (device, seed) => new DenseNet121At64(device, seed)),
        new("unet", UNet.Summary, UNet.ParameterCount, null),
    ];

    /// <summary>The model named <paramref name="name"/>, or an exception listing the names there are.</summary>
    public static Entry Find(string name)
    {
        foreach (var entry in All)
            if (entry.Name == name) return entry;
        throw new ArgumentException($"No zoo model '{name}'; the zoo has: {string.Join(", ", Names())}.", nameof(name));
    }

    private static IEnumerable<string> Names()
    {
        foreach (var entry in All) yield return entry.Name;
    }
}
