// QuickJS workload: recursion, a numeric loop, strings and JSON.
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
let mix = 0;
for (let i = 0; i < 20000; i++) mix = (mix * 31 + i * i) % 1000003;
const words = [];
for (let i = 0; i < 300; i++) words.push("w" + ((i * 7919) % 1000).toString(36));
words.sort();
console.log("fib(17) =", fib(17), "mix =", mix);
console.log(JSON.stringify({first: words.slice(0, 5), last: words[words.length - 1], n: words.length}));
