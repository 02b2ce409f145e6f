import BalmerCore
