using System;

namespace Strider;

/// <summary>
/// A reusable, parameterised group of layers. Derive a class from it and put the block's layers on that class as on a
/// network; each use (<c>[BasicBlock("layer2.0", 128, Stride = 2)]</c>) on a network or another block inlines them, named
/// <c>layer2.0.conv1</c> and so on. The block's parameters are its constructor parameters after the instance name and
/// its settable properties; its layer attributes refer to them through consts of the same name (a property through the
/// name with a lower-case first letter: <c>Stride</c> through <c>stride</c>), whose values are the defaults the block is
/// checked with on its own. The block reads <c>"input"</c> (what precedes the use) and its output is its last layer.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public abstract class BlockAttribute : Attribute
{
    /// <summary>Takes the instance name, the prefix of its layers' names (<c>layer1.0</c>, a PyTorch module path).</summary>
    protected BlockAttribute(string name) => Name = name;

    /// <summary>The instance name: its layers are named <c>{Name}.{layer}</c>, and the name itself stands for the block's output.</summary>
    public string Name { get; }

    /// <summary>Takes the named output as the block's input instead of the previous layer's.</summary>
    public string? From { get; set; }

    /// <summary>Inside another block: the block is used only when that block's bool parameter of this name is true.</summary>
    public string? When { get; set; }

    /// <summary>Inside another block: the block is used only when that block's bool parameter of this name is false.</summary>
    public string? Unless { get; set; }
}
