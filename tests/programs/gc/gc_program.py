# A persistent (immutable) AVL map with versions, folds over it (one through a lambda),
# a small stack-machine interpreter whose bad opcodes raise, and a closure; every result
# is printed. Compiled to WebAssembly GC by p2w (build.sh). p2w compiles a subset of
# Python: this program keeps to what it compiles correctly, so the wasm prints exactly
# what CPython prints for this file.


class Node:
    def __init__(self, key, value, left, right):
        self.key = key
        self.value = value
        self.left = left
        self.right = right
        self.height = 1 + max(height(left), height(right))


def height(node):
    if node is None:
        return 0
    return node.height


def rotate_right(n):
    l = n.left
    return Node(l.key, l.value, l.left, Node(n.key, n.value, l.right, n.right))


def rotate_left(n):
    r = n.right
    return Node(r.key, r.value, Node(n.key, n.value, n.left, r.left), r.right)


def balance(n):
    b = height(n.left) - height(n.right)
    if b > 1:
        if height(n.left.left) < height(n.left.right):
            n = Node(n.key, n.value, rotate_left(n.left), n.right)
        return rotate_right(n)
    if b < -1:
        if height(n.right.right) < height(n.right.left):
            n = Node(n.key, n.value, n.left, rotate_right(n.right))
        return rotate_left(n)
    return n


def insert(node, key, value):
    if node is None:
        return Node(key, value, None, None)
    if key < node.key:
        return balance(Node(node.key, node.value, insert(node.left, key, value), node.right))
    if key > node.key:
        return balance(Node(node.key, node.value, node.left, insert(node.right, key, value)))
    return Node(key, value, node.left, node.right)


def lookup(node, key):
    while node is not None:
        if key < node.key:
            node = node.left
        elif key > node.key:
            node = node.right
        else:
            return node.value
    return -1


def fold(node, acc):
    if node is None:
        return acc
    acc = fold(node.left, acc)
    acc = (acc * 31 + node.key * 7 + node.value) % 1000000007
    return fold(node.right, acc)


def size(node):
    if node is None:
        return 0
    return 1 + size(node.left) + size(node.right)


def run_program(code, arg):
    stack = [arg]
    pc = 0
    steps = 0
    while pc < len(code):
        op = code[pc]
        steps += 1
        if op[0] == "push":
            stack.append(op[1])
        elif op[0] == "add":
            b = stack.pop()
            a = stack.pop()
            stack.append(a + b)
        elif op[0] == "mul":
            b = stack.pop()
            a = stack.pop()
            stack.append(a * b)
        elif op[0] == "dup":
            stack.append(stack[-1])
        elif op[0] == "swap":
            b = stack.pop()
            a = stack.pop()
            stack.append(b)
            stack.append(a)
        elif op[0] == "jnz":
            if stack.pop() != 0:
                pc = op[1]
                continue
        else:
            raise ValueError("bad op " + op[0])
        pc += 1
    return stack[-1], steps


def primes(limit):
    found = []
    for n in range(2, limit):
        is_prime = True
        for p in found:
            if p * p > n:
                break
            if n % p == 0:
                is_prime = False
                break
        if is_prime:
            found.append(n)
    return found


def fold_with(node, acc, combine):
    if node is None:
        return acc
    acc = fold_with(node.left, acc, combine)
    acc = combine(acc, node.key, node.value)
    return fold_with(node.right, acc, combine)


def count_in_range(node, low, high):
    if node is None:
        return 0
    count = 0
    if low < node.key:
        count = count_in_range(node.left, low, high)
    if low <= node.key:
        if node.key <= high:
            count = count + 1
    if node.key < high:
        count = count + count_in_range(node.right, low, high)
    return count


class Machine:
    """A stack machine; code is a flat list of opcode, operand pairs (0 push, 1 add, 2 mul, 3 dup, 4 jnz)."""

    def __init__(self, code):
        self.code = code
        self.stack = []
        self.steps = 0

    def run(self, arg):
        stack = self.stack
        stack.append(arg)
        pc = 0
        while pc < len(self.code):
            op = self.code[pc]
            operand = self.code[pc + 1]
            self.steps = self.steps + 1
            if op == 0:
                stack.append(operand)
            elif op == 1:
                b = stack.pop()
                a = stack.pop()
                stack.append(a + b)
            elif op == 2:
                b = stack.pop()
                a = stack.pop()
                stack.append(a * b)
            elif op == 3:
                stack.append(stack[len(stack) - 1])
            elif op == 4:
                if stack.pop() != 0:
                    pc = operand
                    continue
            else:
                raise ValueError("bad opcode")
            pc += 2
        return stack.pop()


def make_counter(start):
    total = [start]

    def step(amount):
        total[0] = total[0] + amount
        return total[0]

    return step


def main():
    versions = [None]
    m = None
    for i in range(200):
        m = insert(m, (i * 37) % 211, i)
        if i % 50 == 49:
            versions.append(m)
    for v in versions:
        print(size(v), height(v), fold(v, 0))
    print(lookup(m, 37), lookup(m, 0), lookup(m, 999))
    print(fold_with(m, 0, lambda acc, k, v: (acc + k * v) % 1000003))
    print(count_in_range(versions[2], 40, 60), count_in_range(m, 0, 100), count_in_range(None, 0, 1))
    machine = Machine([0, 2, 2, 0, 0, 3, 1, 0])
    print(machine.run(20), machine.steps)
    # counts down from the argument, leaving every value on the stack
    looping = Machine([3, 0, 0, -1, 1, 0, 3, 0, 4, 0])
    print(looping.run(6), looping.steps)
    failures = 0
    for code in ([9, 0], [0, 1], [0, 1, 7, 7]):
        try:
            Machine(code).run(1)
        except ValueError:
            failures += 1
    print(failures)
    counter = make_counter(10)
    print(counter(5), counter(7), [counter(i) for i in range(4)])
    words = "the quick brown fox jumps over the lazy dog".split()
    print(len(words), words[2], max(len(w) for w in words))


main()
