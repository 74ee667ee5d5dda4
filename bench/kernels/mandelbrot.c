/* Float-heavy kernel: count the points of a size x size grid over
 * [-2, 0.5] x [-1.25, 1.25] that stay bounded for 50 iterations of
 * z = z^2 + c, all in f64. wasm has no fused multiply-add, so every
 * operation rounds exactly as the Python version does. */
#define MAX_ITER 50

__attribute__((export_name("mandelbrot")))
int mandelbrot(int size) {
    int inside = 0;
    double scale_x = 2.5 / size;
    double scale_y = 2.5 / size;
    for (int py = 0; py < size; py++) {
        double ci = py * scale_y - 1.25;
        for (int px = 0; px < size; px++) {
            double cr = px * scale_x - 2.0;
            double zr = 0.0, zi = 0.0;
            int k = 0;
            while (k < MAX_ITER) {
                double zr2 = zr * zr;
                double zi2 = zi * zi;
                if (zr2 + zi2 > 4.0)
                    break;
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                k++;
            }
            if (k == MAX_ITER)
                inside++;
        }
    }
    return inside;
}
