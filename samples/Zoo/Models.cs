using System;
using System.Collections.Generic;
using Strider.Devices;

namespace Strider.Samples.Zoo;

/// <summary>The zoo's networks by torchvision's function names, for the console program and the tests.</summary>
public static class Models
{
    /// <summary>
    /// One declared model: its torchvision name, the 224x224 declaration's Summary and parameter count, and a constructor
    /// of its 64x64 twin (the same layers, names and parameters) that the tests run.
    /// </summary>
    public sealed record Entry(string Name, string Summary, long ParameterCount, Func<Device, int, INetwork> CreateAt64);

    /// <summary>Every declared model, in the order the program prints them.</summary>
    public static IReadOnlyList<Entry> All { get; } =
    [
        new("resnet18", ResNet18.Summary, ResNet18.ParameterCount, (device, seed) => new ResNet18At64(device, seed)),
        new("resnet50", ResNet50.Summary, ResNet50.ParameterCount, (device, seed) => new ResNet50At64(device, seed)),
        new("mobilenet_v2", MobileNetV2.Summary, MobileNetV2.ParameterCount, (device, seed) => new MobileNetV2At64(device, seed)),
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
