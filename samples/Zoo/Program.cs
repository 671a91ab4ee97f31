using System;
using Strider.Devices;
using Strider.Samples.Zoo;

// With no arguments: each zoo model's Summary and parameter count. With `weights MODEL FILE`: the model's deterministic
// weights (DeterministicWeights) written to FILE as safetensors with torchvision's state_dict names, for
// tools/reference/zoo.py to load into torchvision's model.
if (args.Length == 3 && args[0] == "weights")
{
    var entry = Models.Find(args[1]);
    if (entry.CreateAt64 is null)
    {
        Console.Error.WriteLine($"{entry.Name} has no reduced-size declaration; the weights command covers the models compared with PyTorch.");
        return 2;
    }
    using var net = entry.CreateAt64(Device.Default, 1);
    DeterministicWeights.Fill(net);
    Strider.IO.SafeTensors.Save(net, args[2]);
    Console.WriteLine($"{entry.Name}: {entry.ParameterCount:N0} parameters written to {args[2]}.");
    return 0;
}
if (args.Length != 0)
{
    Console.Error.WriteLine("Usage: Zoo                        print every model's Summary and parameter count");
    Console.Error.WriteLine("       Zoo weights MODEL FILE     write MODEL's deterministic weights to FILE (safetensors)");
    return 2;
}
foreach (var entry in Models.All)
{
    Console.WriteLine($"{entry.Name}: {entry.ParameterCount:N0} parameters");
    Console.WriteLine(entry.Summary);
    Console.WriteLine();
}
return 0;
