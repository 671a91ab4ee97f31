using System;
using System.IO;
using Strider;
using Strider.Data;
using Strider.IO;
using Strider.Samples.LeNet;
using Strider.Training;

// LeNet with its fully connected layers written as convolutions (the seed's network), trained on real MNIST digits.
// Its spatial sizes are free, so the same trained network classifies a 28x28 digit and slides over larger images.
Console.WriteLine("LeNet, as the generator planned it:");
Console.WriteLine(LeNet.Summary);
// The same network as a picture: the generator's SVG and the PNG SkiaSharp draws from it, in ./out.
string diagramDir = Path.Combine(Environment.CurrentDirectory, "out");
Directory.CreateDirectory(diagramDir);
LeNet.SaveDiagram(Path.Combine(diagramDir, "lenet-diagram.svg"));
LeNet.SaveDiagram(Path.Combine(diagramDir, "lenet-diagram.png"));
Console.WriteLine($"Network diagram: {Path.Combine(diagramDir, "lenet-diagram.png")} (and .svg)");
Console.WriteLine();

string dataDir = Path.Combine(AppContext.BaseDirectory, "data");
var all = Mnist.Load(Path.Combine(dataDir, "mnist-10k-images-idx3-ubyte.gz"), Path.Combine(dataDir, "mnist-10k-labels-idx1-ubyte.gz"));
var train = all.Slice(0, 8000);
var heldOut = all.Slice(8000, 2000);
Console.WriteLine($"MNIST: {train.Count} digits to train on, {heldOut.Count} held out (samples/data/README.md says where they come from).");

using var net = new LeNet(Strider.Devices.Device.Default, seed: 1);
var optimizer = new Adam(net, learningRate: 1e-3f);
// Trained on 28x28 digits: the free H and W are given once, as the trainer's input size.
using var trainer = new Trainer<S1xAnyxAny, S10xAnyxAny>(net, optimizer, Loss.CrossEntropy, batchSize: 64, seed: 1, 28, 28);
var watch = System.Diagnostics.Stopwatch.StartNew();
var history = trainer.Fit(train, epochs: 5, validation: heldOut);
net.Training = false;
var result = trainer.Evaluate(heldOut);
Console.WriteLine($"Held-out accuracy: {result.Accuracy:P2} on {result.Count} digits (training took {watch.Elapsed.TotalSeconds:F1} s on {net.Device.Name}).");

// Outputs go to ./out under the directory the sample is run from (the repository root with the command in the README).
string outDir = Path.Combine(Environment.CurrentDirectory, "out");
Directory.CreateDirectory(outDir);
string curves = Path.Combine(outDir, "lenet-curves.png");
Plots.TrainingCurves(curves, history, "LeNet on MNIST");
Console.WriteLine($"Training curves (loss and accuracy per epoch, training and held out): {curves}");
string weights = Path.Combine(outDir, "lenet.safetensors");
net.Save(weights);
Console.WriteLine($"Weights (PyTorch names and layouts): {weights}");
string onnx = Path.Combine(outDir, "lenet.onnx");
net.ExportOnnx(onnx);
Console.WriteLine($"ONNX model (opset 17, free H and W symbolic): {onnx}");
Console.WriteLine();

// The trained classifier over larger images of held-out digits: strided (Forward) and dense (ForwardDense).
Sliding.Strip(net, heldOut, outDir);
Console.WriteLine();
Sliding.Grid(net, heldOut, outDir);

/// <summary>
/// The seed's LeNet over free sizes (valid inputs 28 + 4n on each axis); Dense = true also generates ForwardDense,
/// the stride-1 output at every input offset in one pass.
/// </summary>
[Network(Dense = true)]
[Input(1, Dim.Any, Dim.Any)]
[Conv(20, 5), MaxPool(2)]
[Conv(50, 5), MaxPool(2)]
[Conv(500, 4), Relu]
[Conv(10, 1), Softmax]
public partial class LeNet;
