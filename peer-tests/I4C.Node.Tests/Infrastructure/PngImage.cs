using System.Buffers.Binary;
using System.IO.Compression;

namespace I4C.Node.Tests.Infrastructure;

/// <summary>
/// A minimal PNG reader for screenshot checks: 8-bit RGB or RGBA, not interlaced (what Chromium writes). Decodes the IDAT
/// stream with <see cref="ZLibStream"/> and undoes the five scanline filters; pixels come back as RGBA.
/// </summary>
public sealed class PngImage
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    private PngImage(int width, int height, byte[] rgba)
    {
        Width = width;
        Height = height;
        Rgba = rgba;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Width × height × 4 bytes, row by row.</summary>
    public byte[] Rgba { get; }

    public uint PixelAt(int x, int y)
    {
        var i = ((y * Width) + x) * 4;
        return BinaryPrimitives.ReadUInt32BigEndian(Rgba.AsSpan(i, 4));
    }

    public static PngImage Decode(byte[] png)
    {
        ArgumentNullException.ThrowIfNull(png);
        if (png.Length < 8 || !png.AsSpan(0, 8).SequenceEqual(Signature))
        {
            throw new InvalidDataException("not a PNG file (bad signature)");
        }
        int width = 0, height = 0, colorType = -1;
        using var idat = new MemoryStream();
        var pos = 8;
        while (pos + 8 <= png.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                    height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                    if (data[8] != 8 || data[12] != 0)
                    {
                        throw new InvalidDataException($"unsupported PNG: bit depth {data[8]}, interlace {data[12]}");
                    }
                    colorType = data[9];
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }
            if (type == "IEND")
            {
                break;
            }
            pos += 12 + length;
        }
        var channels = colorType switch
        {
            2 => 3,
            6 => 4,
            _ => throw new InvalidDataException($"unsupported PNG colour type {colorType}"),
        };
        idat.Position = 0;
        using var inflater = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        inflater.CopyTo(raw);
        var bytes = raw.ToArray();
        var stride = width * channels;
        if (bytes.Length < height * (stride + 1))
        {
            throw new InvalidDataException("PNG image data is truncated");
        }
        var previous = new byte[stride];
        var current = new byte[stride];
        var rgba = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        {
            var offset = y * (stride + 1);
            var filter = bytes[offset];
            for (var i = 0; i < stride; i++)
            {
                var x = bytes[offset + 1 + i];
                var a = i >= channels ? current[i - channels] : 0;
                var b = previous[i];
                var c = i >= channels ? previous[i - channels] : 0;
                current[i] = filter switch
                {
                    0 => x,
                    1 => (byte)(x + a),
                    2 => (byte)(x + b),
                    3 => (byte)(x + ((a + b) / 2)),
                    4 => (byte)(x + Paeth(a, b, c)),
                    _ => throw new InvalidDataException($"unknown PNG filter {filter} in row {y}"),
                };
            }
            for (var px = 0; px < width; px++)
            {
                var d = ((y * width) + px) * 4;
                rgba[d] = current[px * channels];
                rgba[d + 1] = current[(px * channels) + 1];
                rgba[d + 2] = current[(px * channels) + 2];
                rgba[d + 3] = channels == 4 ? current[(px * channels) + 3] : (byte)255;
            }
            (previous, current) = (current, previous);
        }
        return new PngImage(width, height, rgba);
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
