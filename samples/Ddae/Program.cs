using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Strider;
using Strider.Data;
using Strider.Devices;
using Strider.IO;
using Strider.Samples.Ddae;
using Strider.Training;

// The seed's denoising U-net autoencoder, trained on noisy MNIST digits, then run on a 1565x1565 image.
Console.WriteLine("The denoising U-net, as the generator planned it:");
Console.WriteLine(Ddae.Summary);
// The same network as a picture, both skips drawn beside the column: the generator's SVG and SkiaSharp's PNG, in ./out.
string diagramDir = Path.Combine(Environment.CurrentDirectory, "out");
Directory.CreateDirectory(diagramDir);
Ddae.SaveDiagram(Path.Combine(diagramDir, "ddae-diagram.svg"));
Ddae.SaveDiagram(Path.Combine(diagramDir, "ddae-diagram.png"));
Console.WriteLine($"Network diagram: {Path.Combine(diagramDir, "ddae-diagram.png")} (and .svg)");
Console.WriteLine();

const int Size = 61;            // the smallest valid size (61 + 16n); 2x2 digits of 28x28 fit with a 2-pixel border
const float NoiseSigma = 0.3f;
const int TrainImages = 2000;   // 4 digits each: 8000 digits (the first 8000 of the 10k), 3 epochs in about a minute on two busy cores
const int HeldOutImages = 100;

string dataDir = Path.Combine(AppContext.BaseDirectory, "data");
var digits = Mnist.Load(Path.Combine(dataDir, "mnist-10k-images-idx3-ubyte.gz"), Path.Combine(dataDir, "mnist-10k-labels-idx1-ubyte.gz"));
// Training images take digits from the first 8000, held-out images from the last 2000: no digit is seen in both.
var (trainClean, trainNoisy) = Images.Make(digits, first: 0, available: 8000, TrainImages, Size, NoiseSigma, seed: 1);
var (testClean, testNoisy) = Images.Make(digits, first: 8000, available: 2000, HeldOutImages, Size, NoiseSigma, seed: 2);
Console.WriteLine($"Images: {TrainImages} to train on and {HeldOutImages} held out, each {Size}x{Size} holding 2x2 MNIST digits, Gaussian noise sigma {NoiseSigma}.");

var device = Device.Default;
using var net = new Ddae(device, seed: 1);
// The constant-power stage is y = x^w per pixel; w starts at 1 (identity) instead of a random draw, which could be negative and blow eps up to eps^w.
net.Parameters.Single(p => p.Name == "power.weight").Value.Upload(new[] { 1f });
var optimizer = new Adam(net, learningRate: 2e-3f);
using var trainer = new Trainer<S1xAnyxAny, S1xAnyxAny>(net, optimizer, Loss.MeanSquaredError, batchSize: 16, seed: 1, Size, Size);
var watch = Stopwatch.StartNew();
var history = trainer.Fit(new Dataset(trainNoisy, Size * Size, trainClean, Size * Size), epochs: 3);
double trainSeconds = watch.Elapsed.TotalSeconds;
net.Training = false;

using var heldOut = Tensor<S1xAnyxAny>.From(device, testNoisy, Size, Size);
var denoised = net.Forward(heldOut).ToArray();
double noisyPsnr = Images.Psnr(testClean, testNoisy);
double clippedPsnr = Images.Psnr(testClean, Images.Clip01(testNoisy));
double denoisedPsnr = Images.Psnr(testClean, denoised);
float power = net.Parameters.Single(p => p.Name == "power.weight").Value.ToArray()[0];
Console.WriteLine($"Training took {trainSeconds:F1} s on {device.Name}; the constant-power stage learned y = x^{power:F3}.");
Console.WriteLine($"Held-out PSNR: noisy {noisyPsnr:F2} dB (clipped to [0, 1]: {clippedPsnr:F2} dB), denoised {denoisedPsnr:F2} dB, a gain of {denoisedPsnr - noisyPsnr:F2} dB.");

// Outputs go to ./out under the directory the sample is run from (the repository root with the command in the README).
string outDir = Path.Combine(Environment.CurrentDirectory, "out");
Directory.CreateDirectory(outDir);
string curves = Path.Combine(outDir, "ddae-curves.png");
Plots.TrainingCurves(curves, history, "Denoising U-net (MSE)");
Console.WriteLine($"Training curve (loss per epoch): {curves}");
string strip = Path.Combine(outDir, "ddae-strip.png");
Images.WriteStrip(strip, Size, testClean, testNoisy, denoised, rows: 4);
Console.WriteLine($"Clean | noisy | denoised, four held-out images: {strip}");

// Fully convolutional: the same weights run on any valid size; 1565 = 61 + 16 x 63 (1570 does not compile, see below).
const int Large = 1565;
var (largeClean, largeNoisy) = Images.Make(digits, first: 8000, available: 2000, count: 1, Large, NoiseSigma, seed: 3);
using var large = Tensor<S1xAnyxAny>.From(device, largeNoisy, Large, Large);
watch.Restart();
var largeOut = net.Forward(large);
double firstMs = watch.Elapsed.TotalMilliseconds;
watch.Restart();
largeOut = net.Forward(large);
var largeDenoised = largeOut.ToArray();
double secondMs = watch.Elapsed.TotalMilliseconds;
Console.WriteLine($"Inference on 1x{Large}x{Large}: {firstMs:F0} ms the first time (allocating its buffers), {secondMs:F0} ms the second; " +
    $"PSNR noisy {Images.Psnr(largeClean, largeNoisy):F2} dB, denoised {Images.Psnr(largeClean, largeDenoised):F2} dB.");

// With a free size, 1570 is refused at run time before anything runs, with the analyzer's words.
using (var wrong = Tensor<S1xAnyxAny>.Zeros(device, 1, 1570, 1570))
{
    try { net.Forward(wrong); }
    catch (ArgumentException e) { Console.WriteLine($"Inference on 1x1570x1570: {e.Message}"); }
}

/// <summary>
/// The seed's network: two conv encoder blocks, two deconv decoder blocks, the first encoder block summed into the
/// first decoder block, the noisy input summed into the output, then the "constant power" stage
/// exp(w log clip(x, eps, 1)) = clip(x, eps, 1)^w.
/// </summary>
[Network]
[Input(1, Dim.Any, Dim.Any, Name = "noisy")]
[Conv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(32, 5, Stride = 2), BatchNorm, Relu(Name = "c12")]
[Conv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(64, 5, Stride = 2), BatchNorm, Relu]
[Deconv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(32, 5, Stride = 2), BatchNorm, SoftSign(Name = "d12")]
[Add("c12", "d12")]
[Deconv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(1, 5, Stride = 2), BatchNorm, SoftSign(Name = "d34")]
[Add("noisy", "d34")]
[Clip(1e-3, 1), Log, Conv(1, 1, Bias = false, Name = "power"), Exp]
public partial class Ddae;

// The same network declared at 1570x1570 does not compile: STR0001/STR0002 say 1570 is not 61 + 16n (nearest 1565, 1581).
// [Network]
// [Input(1, 1570, 1570, Name = "noisy")]
// [Conv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(32, 5, Stride = 2), BatchNorm, Relu(Name = "c12")]
// [Conv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(64, 5, Stride = 2), BatchNorm, Relu]
// [Deconv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(32, 5, Stride = 2), BatchNorm, SoftSign(Name = "d12")]
// [Add("c12", "d12")]
// [Deconv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(1, 5, Stride = 2), BatchNorm, SoftSign(Name = "d34")]
// [Add("noisy", "d34")]
// [Clip(1e-3, 1), Log, Conv(1, 1, Bias = false, Name = "power"), Exp]
// public partial class DdaeAt1570;
